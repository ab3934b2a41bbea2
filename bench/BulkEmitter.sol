// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The two AssetRegistry functions the benchmark calls.
interface IAssetRegistry {
    function register(bytes32 salt, uint8 kind, bytes32 contentHash, string calldata metadataURI)
        external
        returns (bytes32 assetId);
    function updateMetadata(bytes32 assetId, bytes32 contentHash, string calldata metadataURI) external;
}

/// @title BulkEmitter
/// @notice Benchmark helper, deployed only by bench/indexer.ts: registers one asset and updates its
/// metadata `updates` times in one transaction, so a few transactions emit many indexable events.
contract BulkEmitter {
    /// @notice Registers an asset owned by this contract under `salt`, then emits `updates`
    /// AssetMetadataUpdated events for it.
    function emitMany(IAssetRegistry registry, bytes32 salt, uint256 updates) external {
        bytes32 assetId = registry.register(salt, 1, salt, "bench");
        for (uint256 i = 1; i <= updates; ++i) {
            registry.updateMetadata(assetId, bytes32(i), "bench");
        }
    }
}
