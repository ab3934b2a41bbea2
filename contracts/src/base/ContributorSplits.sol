// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ContributorSplits
/// @notice The versioned contributor split of each asset: either a small explicit list of
/// (account, weight), or for crowds the Merkle root of (account, weight) leaves in the
/// standard encoding of OpenZeppelin merkle-tree, with the total weight and the URI of the full list.
abstract contract ContributorSplits {
    enum SplitKind {
        None,
        Explicit,
        Merkle
    }

    struct Recipient {
        address account;
        uint96 weight;
    }

    struct Split {
        SplitKind kind;
        uint32 version;
        uint256 totalWeight;
        bytes32 root;
        string uri;
    }

    error SplitTooLarge(uint256 length, uint256 max);
    error SplitLengthMismatch(uint256 accounts, uint256 weights);
    error SplitNotSorted(uint256 index, address account);
    error ZeroWeight(uint256 index);
    error EmptySplit();

    event ExplicitSplitSet(
        bytes32 indexed assetId,
        uint32 indexed version,
        address[] accounts,
        uint96[] weights,
        uint256 totalWeight
    );
    event MerkleSplitSet(
        bytes32 indexed assetId, uint32 indexed version, bytes32 root, uint256 totalWeight, string uri
    );

    /// @notice Longest explicit list; larger crowds use a Merkle root.
    uint256 public constant MAX_EXPLICIT_RECIPIENTS = 32;

    mapping(bytes32 assetId => Split) private _splits;
    mapping(bytes32 assetId => Recipient[]) private _recipients;

    /// @notice Sets an explicit split: `accounts` strictly ascending (no duplicates), weights non-zero.
    /// @dev Asset owner only. Bumps the split version.
    function setExplicitSplit(bytes32 assetId, address[] calldata accounts, uint96[] calldata weights)
        external
    {
        _requireAssetOwner(assetId);
        if (accounts.length != weights.length) revert SplitLengthMismatch(accounts.length, weights.length);
        if (accounts.length == 0) revert EmptySplit();
        if (accounts.length > MAX_EXPLICIT_RECIPIENTS) {
            revert SplitTooLarge(accounts.length, MAX_EXPLICIT_RECIPIENTS);
        }
        Recipient[] storage list = _recipients[assetId];
        delete _recipients[assetId];
        uint256 total;
        address previous;
        for (uint256 i; i < accounts.length; ++i) {
            if (accounts[i] <= previous) revert SplitNotSorted(i, accounts[i]);
            if (weights[i] == 0) revert ZeroWeight(i);
            previous = accounts[i];
            total += weights[i];
            list.push(Recipient(accounts[i], weights[i]));
        }
        uint32 version = _splits[assetId].version + 1;
        _splits[assetId] = Split(SplitKind.Explicit, version, total, bytes32(0), "");
        emit ExplicitSplitSet(assetId, version, accounts, weights, total);
    }

    /// @notice Sets a crowd split: `root` of (account, weight) leaves, their `totalWeight`, and the `uri`
    /// of the full list so anyone can rebuild the tree. Asset owner only. Bumps the split version.
    function setMerkleSplit(bytes32 assetId, bytes32 root, uint256 totalWeight, string calldata uri)
        external
    {
        _requireAssetOwner(assetId);
        if (root == bytes32(0) || totalWeight == 0) revert EmptySplit();
        delete _recipients[assetId];
        uint32 version = _splits[assetId].version + 1;
        _splits[assetId] = Split(SplitKind.Merkle, version, totalWeight, root, uri);
        emit MerkleSplitSet(assetId, version, root, totalWeight, uri);
    }

    /// @notice The current split of `assetId` (kind None and version 0 if never set).
    function splitOf(bytes32 assetId) external view returns (Split memory) {
        return _splits[assetId];
    }

    /// @notice The explicit recipients of `assetId` (empty for Merkle splits).
    function recipientsOf(bytes32 assetId) external view returns (Recipient[] memory) {
        return _recipients[assetId];
    }

    /// @dev Reverts unless the caller owns `assetId`.
    function _requireAssetOwner(bytes32 assetId) internal view virtual;
}
