// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ContributorSplits} from "./base/ContributorSplits.sol";
import {ILicenses} from "./interfaces/ILicenses.sol";

/// @title AssetRegistry
/// @notice Registers AI assets (datasets, models, agents) under ids anyone can compute off-chain, with
/// their owner, metadata, contributor split and lineage (parents with a share in bps).
/// @dev Lineage has no cycles by construction: a parent must have been registered before its child.
contract AssetRegistry is Ownable2Step, ContributorSplits {
    enum Kind {
        Dataset,
        Model,
        Agent
    }

    struct Asset {
        address owner;
        Kind kind;
        uint64 sequence;
        bytes32 contentHash;
        string metadataURI;
    }

    struct ParentLink {
        bytes32 parentId;
        uint16 shareBps;
        uint256 licenseId;
    }

    error AssetAlreadyRegistered(bytes32 assetId);
    error UnknownAsset(bytes32 assetId);
    error NotAssetOwner(bytes32 assetId, address caller, address owner);
    error LicensingAlreadySet(address licensing);
    error TooManyParents(bytes32 childId, uint256 max);
    error ParentNotOlder(bytes32 childId, bytes32 parentId);
    error ParentAlreadyLinked(bytes32 childId, bytes32 parentId);
    error InvalidShare(uint16 shareBps);
    error ParentSharesExceedWhole(bytes32 childId, uint256 totalBps);
    error DerivativeNotLicensed(bytes32 parentId, address holder, uint256 licenseId);

    event AssetRegistered(
        bytes32 indexed assetId, address indexed owner, Kind kind, bytes32 contentHash, string metadataURI
    );
    event AssetTransferred(bytes32 indexed assetId, address indexed from, address indexed to);
    event AssetMetadataUpdated(bytes32 indexed assetId, bytes32 contentHash, string metadataURI);
    event ParentLinked(bytes32 indexed childId, bytes32 indexed parentId, uint16 shareBps, uint256 licenseId);
    event LicensingSet(address indexed licensing);

    /// @notice Most lineage parents an asset may have.
    uint256 public constant MAX_PARENTS = 16;
    uint16 internal constant BPS = 10_000;

    /// @notice The licensing contract consulted for derivative links; set once by the owner.
    ILicenses public licensing;
    uint64 private _registered;
    mapping(bytes32 assetId => Asset) private _assets;
    mapping(bytes32 childId => ParentLink[]) private _parents;
    mapping(bytes32 childId => uint256 totalBps) private _parentBps;

    constructor(address owner_) Ownable(owner_) {}

    /// @notice Wires the licensing contract; callable once, by the owner.
    function setLicensing(ILicenses licensing_) external onlyOwner {
        if (address(licensing) != address(0)) revert LicensingAlreadySet(address(licensing));
        licensing = licensing_;
        emit LicensingSet(address(licensing_));
    }

    /// @notice Registers an asset owned by the caller.
    /// @param salt Any value unique per owner; with the caller it fixes the asset id.
    /// @return assetId `assetIdOf(msg.sender, salt)`.
    function register(bytes32 salt, Kind kind, bytes32 contentHash, string calldata metadataURI)
        external
        returns (bytes32 assetId)
    {
        assetId = assetIdOf(msg.sender, salt);
        if (_assets[assetId].owner != address(0)) revert AssetAlreadyRegistered(assetId);
        _assets[assetId] = Asset(msg.sender, kind, ++_registered, contentHash, metadataURI);
        emit AssetRegistered(assetId, msg.sender, kind, contentHash, metadataURI);
    }

    /// @notice Hands `assetId` to `to`. The id does not change. Asset owner only.
    function transferAsset(bytes32 assetId, address to) external {
        _requireAssetOwner(assetId);
        if (to == address(0)) revert Ownable.OwnableInvalidOwner(to);
        _assets[assetId].owner = to;
        emit AssetTransferred(assetId, msg.sender, to);
    }

    /// @notice Replaces the content hash and metadata URI of `assetId`. Asset owner only.
    function updateMetadata(bytes32 assetId, bytes32 contentHash, string calldata metadataURI) external {
        _requireAssetOwner(assetId);
        Asset storage asset = _assets[assetId];
        asset.contentHash = contentHash;
        asset.metadataURI = metadataURI;
        emit AssetMetadataUpdated(assetId, contentHash, metadataURI);
    }

    /// @notice Links `parentId` as a lineage parent of `childId` taking `shareBps` of the child's revenue.
    /// Links are permanent, so an owner cannot shed a royalty obligation later.
    /// @param licenseId A license on the parent, held by the caller, that allows derivatives; ignored
    /// (pass 0) when the caller also owns the parent.
    function linkParent(bytes32 childId, bytes32 parentId, uint16 shareBps, uint256 licenseId) external {
        _requireAssetOwner(childId);
        Asset storage parent = _assets[parentId];
        if (parent.owner == address(0)) revert UnknownAsset(parentId);
        if (parent.sequence >= _assets[childId].sequence) revert ParentNotOlder(childId, parentId);
        if (shareBps == 0 || shareBps > BPS) revert InvalidShare(shareBps);
        ParentLink[] storage links = _parents[childId];
        if (links.length >= MAX_PARENTS) revert TooManyParents(childId, MAX_PARENTS);
        for (uint256 i; i < links.length; ++i) {
            if (links[i].parentId == parentId) revert ParentAlreadyLinked(childId, parentId);
        }
        uint256 totalBps = _parentBps[childId] + shareBps;
        if (totalBps > BPS) revert ParentSharesExceedWhole(childId, totalBps);
        if (parent.owner != msg.sender) {
            ILicenses licenses = licensing;
            if (
                address(licenses) == address(0) || !licenses.allowsDerivative(licenseId, parentId, msg.sender)
            ) {
                revert DerivativeNotLicensed(parentId, msg.sender, licenseId);
            }
        } else {
            licenseId = 0;
        }
        _parentBps[childId] = totalBps;
        links.push(ParentLink(parentId, shareBps, licenseId));
        emit ParentLinked(childId, parentId, shareBps, licenseId);
    }

    /// @notice The registered asset, or an empty record if `assetId` is unknown.
    function assetOf(bytes32 assetId) external view returns (Asset memory) {
        return _assets[assetId];
    }

    /// @notice The owner of `assetId`, or zero if unknown.
    function ownerOfAsset(bytes32 assetId) external view returns (address) {
        return _assets[assetId].owner;
    }

    /// @notice The lineage parents of `childId` in link order.
    function parentsOf(bytes32 childId) external view returns (ParentLink[] memory) {
        return _parents[childId];
    }

    /// @notice The sum of the parents' shares of `childId`, in bps.
    function parentSharesOf(bytes32 childId) external view returns (uint256) {
        return _parentBps[childId];
    }

    /// @notice The id an asset gets when `owner` registers it with `salt`: computable before registration.
    function assetIdOf(address owner, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, salt));
    }

    function _requireAssetOwner(bytes32 assetId) internal view override {
        address owner_ = _assets[assetId].owner;
        if (owner_ == address(0)) revert UnknownAsset(assetId);
        if (owner_ != msg.sender) revert NotAssetOwner(assetId, msg.sender, owner_);
    }
}
