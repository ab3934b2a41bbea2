// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AssetRegistry} from "./AssetRegistry.sol";
import {ILicenses} from "./interfaces/ILicenses.sol";
import {ILicenseFeeSink} from "./interfaces/ILicenseFeeSink.sol";

/// @title Licensing
/// @notice License terms per asset and licenses as ERC-721 tokens with an expiry. The upfront fee of a
/// license goes straight to the ledger, which holds it for attribution in the next epoch.
contract Licensing is ERC721, ILicenses {
    using SafeERC20 for IERC20;

    struct Terms {
        bytes32 assetId;
        address token;
        uint128 pricePerMTokIn;
        uint128 pricePerMTokOut;
        uint128 upfrontFee;
        uint64 duration;
        bool commercial;
        bool derivatives;
        bool transferable;
        bool active;
    }

    struct License {
        uint256 termsId;
        uint64 expiresAt;
    }

    error UnknownTerms(uint256 termsId);
    error TermsInactive(uint256 termsId);
    error NotAssetOwner(bytes32 assetId, address caller);
    error ZeroPaymentToken();
    error LicenseNotTransferable(uint256 licenseId);

    event TermsPublished(
        uint256 indexed termsId,
        bytes32 indexed assetId,
        address indexed token,
        uint128 pricePerMTokIn,
        uint128 pricePerMTokOut,
        uint128 upfrontFee,
        uint64 duration,
        bool commercial,
        bool derivatives,
        bool transferable
    );
    event TermsActiveSet(uint256 indexed termsId, bool active);
    event LicenseMinted(
        uint256 indexed licenseId,
        uint256 indexed termsId,
        bytes32 indexed assetId,
        address holder,
        address payer,
        address token,
        uint256 fee,
        uint64 expiresAt
    );

    /// @notice The asset registry whose owners publish terms.
    AssetRegistry public immutable REGISTRY;
    /// @notice The ledger that holds upfront fees.
    ILicenseFeeSink public immutable FEE_SINK;

    uint256 private _termsCount;
    uint256 private _licenseCount;
    mapping(uint256 termsId => Terms) private _terms;
    mapping(uint256 licenseId => License) private _licenses;

    constructor(AssetRegistry registry, ILicenseFeeSink feeSink) ERC721("Tributary License", "TRIBL") {
        REGISTRY = registry;
        FEE_SINK = feeSink;
    }

    /// @notice Publishes new terms for `terms.assetId`; asset owner only. `terms.active` is ignored (new
    /// terms start active). Terms are immutable once published, apart from being switched off for new
    /// licenses.
    /// @return termsId Sequential id, starting at 1.
    function publishTerms(Terms calldata terms) external returns (uint256 termsId) {
        _requireAssetOwner(terms.assetId);
        if (terms.token == address(0)) revert ZeroPaymentToken();
        termsId = ++_termsCount;
        Terms storage stored = _terms[termsId];
        stored.assetId = terms.assetId;
        stored.token = terms.token;
        stored.pricePerMTokIn = terms.pricePerMTokIn;
        stored.pricePerMTokOut = terms.pricePerMTokOut;
        stored.upfrontFee = terms.upfrontFee;
        stored.duration = terms.duration;
        stored.commercial = terms.commercial;
        stored.derivatives = terms.derivatives;
        stored.transferable = terms.transferable;
        stored.active = true;
        emit TermsPublished(
            termsId,
            terms.assetId,
            terms.token,
            terms.pricePerMTokIn,
            terms.pricePerMTokOut,
            terms.upfrontFee,
            terms.duration,
            terms.commercial,
            terms.derivatives,
            terms.transferable
        );
    }

    /// @notice Switches `termsId` on or off for new licenses; existing licenses are unaffected.
    function setTermsActive(uint256 termsId, bool active) external {
        Terms storage terms = _terms[termsId];
        if (terms.token == address(0)) revert UnknownTerms(termsId);
        _requireAssetOwner(terms.assetId);
        terms.active = active;
        emit TermsActiveSet(termsId, active);
    }

    /// @notice Mints a license under `termsId` to `holder`; the caller pays the upfront fee (approve
    /// this contract first), which the ledger holds for attribution.
    /// @return licenseId Sequential id, starting at 1; also the ERC-721 token id.
    function mintLicense(uint256 termsId, address holder) external returns (uint256 licenseId) {
        Terms storage terms = _terms[termsId];
        if (terms.token == address(0)) revert UnknownTerms(termsId);
        if (!terms.active) revert TermsInactive(termsId);
        licenseId = ++_licenseCount;
        uint64 expiresAt = terms.duration == 0 ? type(uint64).max : uint64(block.timestamp) + terms.duration;
        _licenses[licenseId] = License(termsId, expiresAt);
        uint256 fee = terms.upfrontFee;
        if (fee > 0) {
            IERC20(terms.token).safeTransferFrom(msg.sender, address(FEE_SINK), fee);
            FEE_SINK.recordLicenseFee(licenseId, terms.assetId, terms.token, fee);
        }
        _safeMint(holder, licenseId);
        emit LicenseMinted(licenseId, termsId, terms.assetId, holder, msg.sender, terms.token, fee, expiresAt);
    }

    /// @inheritdoc ILicenses
    function allowsDerivative(uint256 licenseId, bytes32 assetId, address holder)
        external
        view
        returns (bool)
    {
        License storage license = _licenses[licenseId];
        Terms storage terms = _terms[license.termsId];
        return license.termsId != 0 && terms.assetId == assetId && terms.derivatives
            && block.timestamp < license.expiresAt && _ownerOf(licenseId) == holder;
    }

    /// @notice Whether `licenseId` exists and has not expired.
    function isValid(uint256 licenseId) external view returns (bool) {
        License storage license = _licenses[licenseId];
        return license.termsId != 0 && block.timestamp < license.expiresAt;
    }

    /// @notice The terms published under `termsId`.
    function termsOf(uint256 termsId) external view returns (Terms memory) {
        return _terms[termsId];
    }

    /// @notice The terms id and expiry (unix seconds; max uint64 = perpetual) of `licenseId`.
    function licenseOf(uint256 licenseId) external view returns (License memory) {
        return _licenses[licenseId];
    }

    /// @dev Blocks holder-to-holder transfers of licenses whose terms are not transferable.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && to != address(0) && !_terms[_licenses[tokenId].termsId].transferable) {
            revert LicenseNotTransferable(tokenId);
        }
    }

    function _requireAssetOwner(bytes32 assetId) private view {
        if (REGISTRY.ownerOfAsset(assetId) != msg.sender) revert NotAssetOwner(assetId, msg.sender);
    }
}
