// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AssetRegistry
/// @notice Registers AI assets (datasets, models, agents) under ids anyone can compute off-chain.
contract AssetRegistry {
    enum Kind {
        Dataset,
        Model,
        Agent
    }

    struct Asset {
        address owner;
        Kind kind;
        bytes32 contentHash;
        string metadataURI;
    }

    error AssetAlreadyRegistered(bytes32 assetId);

    event AssetRegistered(
        bytes32 indexed assetId, address indexed owner, Kind kind, bytes32 contentHash, string metadataURI
    );

    mapping(bytes32 assetId => Asset) private _assets;

    /// @notice The id an asset gets when `owner` registers it with `salt`: computable before registration.
    function assetIdOf(address owner, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(owner, salt));
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
        _assets[assetId] = Asset(msg.sender, kind, contentHash, metadataURI);
        emit AssetRegistered(assetId, msg.sender, kind, contentHash, metadataURI);
    }

    /// @notice The registered asset, or an empty record if `assetId` is unknown.
    function assetOf(bytes32 assetId) external view returns (Asset memory) {
        return _assets[assetId];
    }
}
