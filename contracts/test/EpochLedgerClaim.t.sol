// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Settlement} from "../src/base/Settlement.sol";
import {BaseTest} from "./utils/BaseTest.sol";
import {MerkleBuilder} from "./utils/MerkleBuilder.sol";
import {EpochLedger} from "../src/EpochLedger.sol";
import {Attribution} from "../src/libraries/Attribution.sol";

/// @notice claim and claimBatch, including a tree built by @openzeppelin/merkle-tree (fixture).
contract EpochLedgerClaimTest is BaseTest {
    event Claimed(
        address indexed account,
        address indexed token,
        uint256 amount,
        uint256 cumulativeAmount,
        uint64 indexed epochId,
        address caller
    );

    function test_claim_anyoneMayCall_fundsGoToAccount() public {
        bytes32[] memory tree = _settledEpochPayingBobAndCarol();
        vm.expectEmit();
        emit Claimed(bob, address(token), 600, 600, 1, carol);
        vm.prank(carol);
        uint256 paid = ledger.claim(bob, address(token), 600, _proof(tree, bob, 600));
        vm.assertEq(paid, 600);
        vm.assertEq(token.balanceOf(bob), 600);
        vm.assertEq(token.balanceOf(carol), 0);
        vm.assertEq(ledger.claimedOf(bob, address(token)), 600);
        (, uint128 claimed) = ledger.bookOf(address(token));
        vm.assertEq(claimed, 600);
    }

    function test_claim_paysDifferenceToCumulative() public {
        bytes32[] memory tree = _settledEpochPayingBobAndCarol();
        ledger.claim(bob, address(token), 600, _proof(tree, bob, 600));
        // Epoch 2: alice spends 500 more, all to bob; bob's cumulative is now 1100.
        _deposit(alice, 500);
        bytes32[] memory next = _tree2(bob, 1100, carol, 400);
        _settle(2, next[0], _charges1(alice, 500), _totals1(500, 0));
        vm.warp(block.timestamp + CHALLENGE);
        ledger.finalize();
        vm.assertEq(ledger.claim(bob, address(token), 1100, _proof(next, bob, 1100)), 500);
        vm.assertEq(token.balanceOf(bob), 1100);
    }

    function test_claim_RevertWhen_alreadyClaimed() public {
        bytes32[] memory tree = _settledEpochPayingBobAndCarol();
        ledger.claim(bob, address(token), 600, _proof(tree, bob, 600));
        vm.expectRevert(
            abi.encodeWithSelector(EpochLedger.NothingToClaim.selector, bob, address(token), 600, 600)
        );
        ledger.claim(bob, address(token), 600, _proof(tree, bob, 600));
    }

    function test_claim_RevertWhen_proofInvalid() public {
        bytes32[] memory tree = _settledEpochPayingBobAndCarol();
        bytes32[] memory proof = _proof(tree, bob, 600);
        vm.expectRevert(abi.encodeWithSelector(EpochLedger.InvalidProof.selector, bob, address(token), 601));
        ledger.claim(bob, address(token), 601, proof);
        vm.expectRevert(abi.encodeWithSelector(EpochLedger.InvalidProof.selector, alice, address(token), 600));
        ledger.claim(alice, address(token), 600, proof);
    }

    function test_claim_RevertWhen_rootStillInChallenge() public {
        _deposit(alice, 1000);
        bytes32[] memory tree = _tree2(bob, 600, carol, 400);
        _settle(1, tree[0], _charges1(alice, 1000), _totals1(1000, 0));
        bytes32[] memory proof = _proof(tree, bob, 600);
        vm.expectRevert(abi.encodeWithSelector(EpochLedger.InvalidProof.selector, bob, address(token), 600));
        ledger.claim(bob, address(token), 600, proof);
    }

    /// @dev A leaked settler key posts a root giving the thief more than the epoch charged: the
    /// per-token bound stops the claim at what finalized epochs settled, so other escrow is safe.
    function test_claim_RevertWhen_rootClaimsMoreThanSettled() public {
        _deposit(alice, 100);
        _deposit(carol, 1_000_000);
        address thief = address(0xBAD);
        bytes32[] memory tree = _tree2(thief, 1_000_100, bob, 1);
        _settle(1, tree[0], _charges1(alice, 100), _totals1(100, 0));
        vm.warp(block.timestamp + CHALLENGE);
        ledger.finalize();
        vm.expectRevert(
            abi.encodeWithSelector(
                EpochLedger.ClaimExceedsSettled.selector, address(token), 0, 1_000_100, 100
            )
        );
        ledger.claim(thief, address(token), 1_000_100, _proof(tree, thief, 1_000_100));
        vm.assertEq(ledger.escrowOf(carol, address(token)), 1_000_000);
    }

    function test_claimBatch_skipsZeroAmountsInsteadOfReverting() public {
        bytes32[] memory tree = _settledEpochPayingBobAndCarol();
        ledger.claim(bob, address(token), 600, _proof(tree, bob, 600));
        EpochLedger.ClaimRequest[] memory requests = new EpochLedger.ClaimRequest[](2);
        requests[0] = EpochLedger.ClaimRequest(bob, address(token), 600, _proof(tree, bob, 600));
        requests[1] = EpochLedger.ClaimRequest(carol, address(token), 400, _proof(tree, carol, 400));
        uint256[] memory paid = ledger.claimBatch(requests);
        vm.assertEq(paid[0], 0);
        vm.assertEq(paid[1], 400);
        vm.assertEq(token.balanceOf(carol), 400);
        vm.assertEq(token.balanceOf(address(ledger)), 0);
    }

    function test_claimBatch_RevertWhen_proofInvalid() public {
        bytes32[] memory tree = _settledEpochPayingBobAndCarol();
        EpochLedger.ClaimRequest[] memory requests = new EpochLedger.ClaimRequest[](1);
        requests[0] = EpochLedger.ClaimRequest(carol, address(token), 401, _proof(tree, carol, 400));
        vm.expectRevert(abi.encodeWithSelector(EpochLedger.InvalidProof.selector, carol, address(token), 401));
        ledger.claimBatch(requests);
    }

    /// @dev The fixture was written by scripts/gen-merkle-fixture.ts with StandardMerkleTree.of.
    function test_claim_acceptsOpenZeppelinMerkleTreeFixture() public {
        string memory json =
            vm.readFile(string.concat(vm.projectRoot(), "/contracts/test/fixtures/accruals.json"));
        bytes32 root = vm.parseJsonBytes32(json, ".root");
        uint256 total = vm.parseJsonUint(json, ".total");
        address fixtureToken = vm.parseJsonAddress(json, ".leaves[0].token");
        vm.etch(fixtureToken, address(token).code);
        _depositAt(fixtureToken, alice, total);
        Settlement.Charge[] memory c = new Settlement.Charge[](1);
        c[0] = Settlement.Charge(alice, fixtureToken, total);
        Settlement.TokenTotal[] memory t = new Settlement.TokenTotal[](1);
        t[0] = Settlement.TokenTotal(fixtureToken, total, 0);
        _settle(1, root, c, t);
        vm.warp(block.timestamp + CHALLENGE);
        ledger.finalize();

        bytes32[] memory leaves = new bytes32[](7);
        for (uint256 i; i < 7; ++i) {
            string memory at = string.concat(".leaves[", vm.toString(i), "]");
            address account = vm.parseJsonAddress(json, string.concat(at, ".account"));
            uint256 amount = vm.parseJsonUint(json, string.concat(at, ".cumulativeAmount"));
            bytes32[] memory proof = vm.parseJsonBytes32Array(json, string.concat(at, ".proof"));
            vm.assertEq(ledger.claim(account, fixtureToken, amount, proof), amount);
            vm.assertEq(MockLike(fixtureToken).balanceOf(account), amount);
            leaves[i] = Attribution.accrualLeaf(account, fixtureToken, amount);
        }
        // The Solidity builder the other tests use makes the same root as the JS library.
        vm.assertEq(MerkleBuilder.build(leaves)[0], root);
        vm.assertEq(MockLike(fixtureToken).balanceOf(address(ledger)), 0);
    }

    function test_claim_usesFinalizedRootWhileNewerEpochPending() public {
        bytes32[] memory tree = _settledEpochPayingBobAndCarol();
        _deposit(alice, 500);
        bytes32[] memory next = _tree2(bob, 1100, carol, 400);
        _settle(2, next[0], _charges1(alice, 500), _totals1(500, 0));
        vm.assertEq(ledger.claim(bob, address(token), 600, _proof(tree, bob, 600)), 600);
        vm.expectRevert(abi.encodeWithSelector(EpochLedger.InvalidProof.selector, bob, address(token), 1100));
        ledger.claim(bob, address(token), 1100, _proof(next, bob, 1100));
    }

    function _depositAt(address at, address payer, uint256 amount) internal {
        MockLike(at).mint(payer, amount);
        vm.startPrank(payer);
        MockLike(at).approve(address(ledger), amount);
        ledger.deposit(payer, at, amount);
        vm.stopPrank();
    }
}

interface MockLike {
    function mint(address to, uint256 amount) external;
    function approve(address spender, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}
