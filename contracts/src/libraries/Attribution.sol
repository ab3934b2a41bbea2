// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Attribution
/// @notice The money math of the protocol as pure functions: call pricing, protocol fee, lineage shares
/// and contributor splits. The settler implements the same rules off-chain; tests fuzz these directly.
/// @dev Integers only. Every division floors and the dust goes to the asset owner, so parts always sum to
/// the amount divided.
library Attribution {
    /// @notice One asset's share of a revenue: protocol fee, each lineage parent's part (which the parent
    /// passes on through its own split), each contributor's part, and the dust owed to the owner.
    struct Attributed {
        uint256 fee;
        uint256[] parentParts;
        uint256[] contributorParts;
        uint256 ownerDust;
    }

    error WeightsEmpty();
    error ZeroTotalWeight();
    error BpsTooHigh(uint256 bps);

    /// @notice Basis points in a whole.
    uint256 internal constant BPS = 10_000;
    /// @notice Prices are quoted per million tokens.
    uint256 internal constant PER_MTOK = 1_000_000;

    /// @notice Cost of a call in base units of the payment token: ceil((in*pIn + out*pOut) / 1e6).
    function callCost(uint256 tokensIn, uint256 tokensOut, uint256 pricePerMTokIn, uint256 pricePerMTokOut)
        internal
        pure
        returns (uint256)
    {
        uint256 scaled = tokensIn * pricePerMTokIn + tokensOut * pricePerMTokOut;
        return scaled == 0 ? 0 : (scaled - 1) / PER_MTOK + 1;
    }

    /// @notice Splits `amount` into the protocol fee (floored) and the rest.
    function takeFee(uint256 amount, uint256 feeBps) internal pure returns (uint256 fee, uint256 rest) {
        if (feeBps > BPS) revert BpsTooHigh(feeBps);
        fee = amount * feeBps / BPS;
        rest = amount - fee;
    }

    /// @notice Each lineage parent's floored `shareBps` of `amount`; `remainder` stays with the child.
    /// @dev The shares of all parents must not exceed 100%; the registry enforces it on link.
    function lineageShares(uint256 amount, uint16[] memory parentBps)
        internal
        pure
        returns (uint256[] memory parts, uint256 remainder)
    {
        parts = new uint256[](parentBps.length);
        uint256 total;
        remainder = amount;
        for (uint256 i; i < parentBps.length; ++i) {
            total += parentBps[i];
            parts[i] = amount * parentBps[i] / BPS;
            remainder -= parts[i];
        }
        if (total > BPS) revert BpsTooHigh(total);
    }

    /// @notice Divides `amount` among contributors in proportion to `weights`; `dust` is what flooring
    /// left over, owed to the asset owner. `sum(parts) + dust == amount`.
    function splitByWeight(uint256 amount, uint256[] memory weights)
        internal
        pure
        returns (uint256[] memory parts, uint256 dust)
    {
        if (weights.length == 0) revert WeightsEmpty();
        uint256 totalWeight;
        for (uint256 i; i < weights.length; ++i) {
            totalWeight += weights[i];
        }
        if (totalWeight == 0) revert ZeroTotalWeight();
        parts = new uint256[](weights.length);
        dust = amount;
        for (uint256 i; i < weights.length; ++i) {
            parts[i] = Math.mulDiv(amount, weights[i], totalWeight);
            dust -= parts[i];
        }
    }

    /// @notice The leaf of the cumulative accrual tree in the `@openzeppelin/merkle-tree` standard
    /// encoding for `["address", "address", "uint256"]`: keccak256(keccak256(abi.encode(...))).
    function accrualLeaf(address account, address token, uint256 cumulativeAmount)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(account, token, cumulativeAmount))));
    }

    /// @notice The leaf of a contributor weight tree: `["address", "uint256"]` in the standard encoding.
    function weightLeaf(address account, uint256 weight) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, weight))));
    }

    /// @notice Attributes `amount` of one asset's revenue: fee first, then the parents' shares of the
    /// rest, then the remainder by contributor weight; flooring dust goes to the owner. With no
    /// contributors the owner gets the whole remainder. `fee + sum(parents) + sum(contributors) +
    /// ownerDust == amount`.
    function attribute(uint256 amount, uint256 feeBps, uint16[] memory parentBps, uint256[] memory weights)
        internal
        pure
        returns (Attributed memory a)
    {
        uint256 rest;
        (a.fee, rest) = takeFee(amount, feeBps);
        uint256 remainder;
        (a.parentParts, remainder) = lineageShares(rest, parentBps);
        if (weights.length == 0) {
            a.contributorParts = new uint256[](0);
            a.ownerDust = remainder;
        } else {
            (a.contributorParts, a.ownerDust) = splitByWeight(remainder, weights);
        }
    }
}
