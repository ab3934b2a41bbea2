// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "../utils/Vm.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {Attribution} from "../../src/libraries/Attribution.sol";

/// @notice Fuzz tests of the pure money math: parts always sum to the whole, floors never overpay.
contract AttributionTest is Test {
    /// @dev External wrappers so reverts of the internal library surface to expectRevert.
    function takeFee(uint256 amount, uint256 feeBps) external pure returns (uint256, uint256) {
        return Attribution.takeFee(amount, feeBps);
    }

    function lineageShares(uint256 amount, uint16[] memory bps)
        external
        pure
        returns (uint256[] memory, uint256)
    {
        return Attribution.lineageShares(amount, bps);
    }

    function splitByWeight(uint256 amount, uint256[] memory w)
        external
        pure
        returns (uint256[] memory, uint256)
    {
        return Attribution.splitByWeight(amount, w);
    }

    function test_callCost_roundsUp() public pure {
        vm.assertEq(Attribution.callCost(1, 0, 1, 0), 1);
        vm.assertEq(Attribution.callCost(1_000_000, 0, 3, 0), 3);
        vm.assertEq(Attribution.callCost(1_000_001, 0, 3, 0), 4);
        vm.assertEq(Attribution.callCost(0, 0, 5, 5), 0);
        vm.assertEq(Attribution.callCost(1200, 300, 150_000, 600_000), 360);
    }

    function testFuzz_callCost_isCeilingOfExact(uint64 tokIn, uint64 tokOut, uint96 pIn, uint96 pOut)
        public
        pure
    {
        uint256 scaled = uint256(tokIn) * pIn + uint256(tokOut) * pOut;
        uint256 cost = Attribution.callCost(tokIn, tokOut, pIn, pOut);
        vm.assertGe(cost * 1e6, scaled);
        if (cost > 0) vm.assertLt((cost - 1) * 1e6, scaled, "not the smallest cover");
    }

    function testFuzz_takeFee_partsSumToAmount(uint256 amount, uint256 feeBps) public pure {
        amount = bound(amount, 0, type(uint128).max);
        feeBps = bound(feeBps, 0, 10_000);
        (uint256 fee, uint256 rest) = Attribution.takeFee(amount, feeBps);
        vm.assertEq(fee + rest, amount);
        vm.assertEq(fee, amount * feeBps / 10_000);
    }

    function test_takeFee_RevertWhen_bpsAboveWhole() public {
        vm.expectRevert(abi.encodeWithSelector(Attribution.BpsTooHigh.selector, 10_001));
        this.takeFee(1, 10_001);
    }

    function testFuzz_lineageShares_sumToAmount(uint256 amount, uint16[16] memory raw, uint8 n) public pure {
        amount = bound(amount, 0, type(uint128).max);
        uint16[] memory bps = new uint16[](n % 17);
        uint256 left = 10_000;
        for (uint256 i; i < bps.length; ++i) {
            bps[i] = uint16(bound(raw[i], 0, left));
            left -= bps[i];
        }
        (uint256[] memory parts, uint256 remainder) = Attribution.lineageShares(amount, bps);
        uint256 sum = remainder;
        for (uint256 i; i < parts.length; ++i) {
            vm.assertEq(parts[i], amount * bps[i] / 10_000);
            sum += parts[i];
        }
        vm.assertEq(sum, amount);
        vm.assertGe(remainder, amount * left / 10_000);
    }

    function test_lineageShares_RevertWhen_sharesAboveWhole() public {
        uint16[] memory bps = new uint16[](2);
        (bps[0], bps[1]) = (6000, 4001);
        vm.expectRevert(abi.encodeWithSelector(Attribution.BpsTooHigh.selector, 10_001));
        this.lineageShares(100, bps);
    }

    function testFuzz_splitByWeight_sumsToAmountAndNeverOverpays(uint256 amount, uint96[] memory raw)
        public
        pure
    {
        vm.assume(raw.length > 0 && raw.length <= 64);
        amount = bound(amount, 0, type(uint128).max);
        uint256[] memory weights = new uint256[](raw.length);
        uint256 total;
        for (uint256 i; i < raw.length; ++i) {
            weights[i] = raw[i];
            total += raw[i];
        }
        vm.assume(total > 0);
        (uint256[] memory parts, uint256 dust) = Attribution.splitByWeight(amount, weights);
        uint256 sum = dust;
        for (uint256 i; i < parts.length; ++i) {
            vm.assertLe(parts[i] * total, amount * weights[i], "part above exact share");
            sum += parts[i];
        }
        vm.assertEq(sum, amount);
        vm.assertLt(dust, weights.length + 1, "dust above one unit per contributor");
    }

    function test_splitByWeight_RevertWhen_emptyOrZeroWeight() public {
        vm.expectRevert(Attribution.WeightsEmpty.selector);
        this.splitByWeight(1, new uint256[](0));
        vm.expectRevert(Attribution.ZeroTotalWeight.selector);
        this.splitByWeight(1, new uint256[](2));
    }

    function test_splitByWeight_dustToOwner() public pure {
        uint256[] memory w = new uint256[](3);
        (w[0], w[1], w[2]) = (1, 1, 1);
        (uint256[] memory parts, uint256 dust) = Attribution.splitByWeight(100, w);
        vm.assertEq(parts[0], 33);
        vm.assertEq(dust, 1);
    }

    function testFuzz_attribute_partsSumToRevenue(
        uint256 amount,
        uint256 feeBps,
        uint16[4] memory rawBps,
        uint64[5] memory rawWeights,
        uint8 nWeights
    ) public pure {
        amount = bound(amount, 0, type(uint128).max);
        feeBps = bound(feeBps, 0, 2000);
        uint16[] memory bps = new uint16[](4);
        for (uint256 i; i < 4; ++i) {
            bps[i] = uint16(bound(rawBps[i], 0, 2500));
        }
        uint256[] memory weights = new uint256[](nWeights % 6);
        for (uint256 i; i < weights.length; ++i) {
            weights[i] = uint256(rawWeights[i]) + 1;
        }
        Attribution.Attributed memory a = Attribution.attribute(amount, feeBps, bps, weights);
        uint256 sum = a.fee + a.ownerDust;
        for (uint256 i; i < a.parentParts.length; ++i) {
            sum += a.parentParts[i];
        }
        for (uint256 i; i < a.contributorParts.length; ++i) {
            sum += a.contributorParts[i];
        }
        vm.assertEq(sum, amount);
    }

    function testFuzz_accrualLeaf_isDoubleHashedStandardLeaf(address account, address token, uint256 amount)
        public
        pure
    {
        bytes32 inner = keccak256(abi.encode(account, token, amount));
        vm.assertEq(Attribution.accrualLeaf(account, token, amount), keccak256(abi.encodePacked(inner)));
    }

    function testFuzz_merkleBuilder_proofsVerify(bytes32 seed, uint8 n) public pure {
        uint256 count = bound(n, 1, 40);
        bytes32[] memory leaves = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            leaves[i] = keccak256(abi.encode(seed, i));
        }
        bytes32[] memory copy = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            copy[i] = leaves[i];
        }
        bytes32[] memory tree = MerkleBuilder.build(copy);
        for (uint256 i = 1; i < count; ++i) {
            vm.assertTrue(copy[i - 1] <= copy[i], "leaves not sorted");
        }
        for (uint256 i; i < count; ++i) {
            bytes32 node = leaves[i];
            bytes32[] memory proof = MerkleBuilder.proof(tree, node);
            for (uint256 j; j < proof.length; ++j) {
                node = node < proof[j]
                    ? keccak256(abi.encode(node, proof[j]))
                    : keccak256(abi.encode(proof[j], node));
            }
            vm.assertEq(node, tree[0]);
        }
    }
}
