// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

/// @notice Builds trees exactly as `@openzeppelin/merkle-tree`'s StandardMerkleTree does (leaves sorted
/// ascending, array-backed complete tree, commutative node hash) so tests can make roots and proofs.
library MerkleBuilder {
    /// @dev Returns the tree array (root at 0) for already-hashed `leaves`; sorts `leaves` in place.
    function build(bytes32[] memory leaves) internal pure returns (bytes32[] memory tree) {
        _sort(leaves);
        uint256 n = leaves.length;
        tree = new bytes32[](2 * n - 1);
        for (uint256 i; i < n; ++i) {
            tree[tree.length - 1 - i] = leaves[i];
        }
        for (uint256 i = tree.length - n; i > 0; --i) {
            tree[i - 1] = Hashes.commutativeKeccak256(tree[2 * i - 1], tree[2 * i]);
        }
    }

    /// @dev The proof for `leaf` in `tree`, found by value.
    function proof(bytes32[] memory tree, bytes32 leaf) internal pure returns (bytes32[] memory path) {
        uint256 index = type(uint256).max;
        for (uint256 i = tree.length; i > 0; --i) {
            if (tree[i - 1] == leaf) {
                index = i - 1;
                break;
            }
        }
        require(index != type(uint256).max, "leaf not in tree");
        uint256 depth;
        for (uint256 i = index; i > 0; i = (i - 1) / 2) {
            ++depth;
        }
        path = new bytes32[](depth);
        for (uint256 d; index > 0; ++d) {
            path[d] = tree[index % 2 == 1 ? index + 1 : index - 1];
            index = (index - 1) / 2;
        }
    }

    function _sort(bytes32[] memory a) private pure {
        if (a.length > 1) _quickSort(a, 0, a.length - 1);
    }

    function _quickSort(bytes32[] memory a, uint256 lo, uint256 hi) private pure {
        bytes32 pivot = a[lo + (hi - lo) / 2];
        uint256 i = lo;
        uint256 j = hi;
        while (i <= j) {
            while (a[i] < pivot) ++i;
            while (a[j] > pivot) {
                if (j == 0) break;
                --j;
            }
            if (i <= j) {
                (a[i], a[j]) = (a[j], a[i]);
                ++i;
                if (j == 0) break;
                --j;
            }
        }
        if (lo < j) _quickSort(a, lo, j);
        if (i < hi) _quickSort(a, i, hi);
    }
}
