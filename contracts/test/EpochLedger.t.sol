// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Settlement} from "../src/base/Settlement.sol";
import {BaseTest} from "./utils/BaseTest.sol";
import {Roles} from "../src/base/Roles.sol";
import {EpochLedger} from "../src/EpochLedger.sol";
import {MockERC20} from "../src/mocks/MockERC20.sol";

/// @notice settleEpoch, veto and finalize.
contract EpochLedgerSettleTest is BaseTest {
    event EpochSettled(
        uint64 indexed epochId,
        bytes32 root,
        bytes32 usageDigest,
        string manifestURI,
        uint256 payerCount,
        uint64 claimableAt
    );
    event EpochTotalSettled(
        uint64 indexed epochId, address indexed token, uint256 charged, uint256 licenseFees
    );
    event ChargeDebited(uint64 indexed epochId, address indexed payer, address indexed token, uint256 amount);
    event ChargeRefunded(
        uint64 indexed epochId, address indexed payer, address indexed token, uint256 amount
    );
    event EpochVetoed(uint64 indexed epochId, address indexed guardian);
    event EpochFinalized(uint64 indexed epochId, bytes32 root);

    function test_settleEpoch_debitsChargesAndRecordsPendingEpoch() public {
        _deposit(alice, 1000);
        _deposit(bob, 50);
        Settlement.Charge[] memory c = new Settlement.Charge[](2);
        c[0] = Settlement.Charge(alice, address(token), 700);
        c[1] = Settlement.Charge(bob, address(token), 50);
        uint64 claimableAt = uint64(block.timestamp) + CHALLENGE;
        vm.expectEmit();
        emit ChargeDebited(1, alice, address(token), 700);
        vm.expectEmit();
        emit ChargeDebited(1, bob, address(token), 50);
        vm.expectEmit();
        emit EpochTotalSettled(1, address(token), 750, 0);
        vm.expectEmit();
        emit EpochSettled(1, bytes32("root"), keccak256("usage"), "r2://manifest", 2, claimableAt);
        _settle(1, "root", c, _totals1(750, 0));
        vm.assertEq(ledger.escrowOf(alice, address(token)), 300);
        vm.assertEq(ledger.escrowOf(bob, address(token)), 0);
        vm.assertEq(ledger.pendingOf(address(token)), 750);
        Settlement.Epoch memory epoch = ledger.epochOf(1);
        vm.assertEq(uint8(epoch.status), uint8(Settlement.EpochStatus.Pending));
        vm.assertEq(epoch.claimableAt, claimableAt);
        vm.assertEq(ledger.totalsOf(1).length, 1);
        vm.assertEq(ledger.claimRoot(), bytes32(0));
    }

    function test_settleEpoch_attributesHeldLicenseFees() public {
        _holdFee(300);
        _settle(1, "root", new Settlement.Charge[](0), _totals1(0, 200));
        vm.assertEq(ledger.heldFeesOf(address(token)), 100);
        vm.assertEq(ledger.pendingOf(address(token)), 200);
    }

    function test_settleEpoch_RevertWhen_notSettler() public {
        vm.expectRevert(abi.encodeWithSelector(Roles.Unauthorized.selector, alice, Roles.Role.Settler));
        vm.prank(alice);
        ledger.settleEpoch(1, 0, new Settlement.Charge[](0), new Settlement.TokenTotal[](0), 0, "");
    }

    function test_settleEpoch_RevertWhen_epochSkippedOrRepeated() public {
        vm.expectRevert(abi.encodeWithSelector(Settlement.EpochOutOfOrder.selector, 1, 2));
        _settle(2, 0, new Settlement.Charge[](0), new Settlement.TokenTotal[](0));
        _settle(1, 0, new Settlement.Charge[](0), new Settlement.TokenTotal[](0));
        vm.expectRevert(abi.encodeWithSelector(Settlement.EpochOutOfOrder.selector, 2, 1));
        _settle(1, 0, new Settlement.Charge[](0), new Settlement.TokenTotal[](0));
    }

    function test_settleEpoch_RevertWhen_chargeAboveBalance() public {
        _deposit(alice, 99);
        vm.expectRevert(
            abi.encodeWithSelector(Settlement.InsufficientEscrow.selector, alice, address(token), 99, 100)
        );
        _settle(1, 0, _charges1(alice, 100), _totals1(100, 0));
    }

    function test_settleEpoch_RevertWhen_totalsWrong() public {
        _deposit(alice, 100);
        vm.expectRevert(abi.encodeWithSelector(Settlement.TotalMismatch.selector, address(token), 101, 100));
        _settle(1, 0, _charges1(alice, 100), _totals1(101, 0));
        vm.expectRevert(abi.encodeWithSelector(Settlement.ChargeTokenNotInTotals.selector, 0, address(token)));
        _settle(1, 0, _charges1(alice, 100), new Settlement.TokenTotal[](0));
        Settlement.TokenTotal[] memory t = new Settlement.TokenTotal[](2);
        t[0] = Settlement.TokenTotal(address(token), 100, 0);
        t[1] = Settlement.TokenTotal(address(token), 0, 0);
        vm.expectRevert(abi.encodeWithSelector(Settlement.TotalsNotSorted.selector, 1, address(token)));
        _settle(1, 0, _charges1(alice, 100), t);
        vm.expectRevert(
            abi.encodeWithSelector(Settlement.InsufficientHeldFees.selector, address(token), 0, 1)
        );
        _settle(1, 0, _charges1(alice, 100), _totals1(100, 1));
    }

    function test_veto_refundsChargesAndFees() public {
        _deposit(alice, 1000);
        _holdFee(40);
        Settlement.Charge[] memory c = _charges1(alice, 600);
        _settle(1, "bad", c, _totals1(600, 40));
        vm.expectEmit();
        emit ChargeRefunded(1, alice, address(token), 600);
        vm.expectEmit();
        emit EpochVetoed(1, guardian);
        vm.prank(guardian);
        ledger.veto(1, c);
        vm.assertEq(ledger.escrowOf(alice, address(token)), 1000);
        vm.assertEq(ledger.heldFeesOf(address(token)), 40);
        vm.assertEq(ledger.pendingOf(address(token)), 0);
        vm.assertEq(uint8(ledger.epochOf(1).status), uint8(Settlement.EpochStatus.Vetoed));
        // Ids stay strictly sequential: the replacement is epoch 2.
        _settle(2, "good", c, _totals1(600, 0));
        vm.warp(block.timestamp + CHALLENGE);
        ledger.finalize();
        vm.assertEq(ledger.claimRoot(), bytes32("good"));
        (uint64 last, uint64 tip, uint64 claimable, uint64 cursor) = ledger.epochIds();
        vm.assertEq(last, 2);
        vm.assertEq(tip, 2);
        vm.assertEq(claimable, 2);
        vm.assertEq(cursor, 2);
    }

    function test_veto_newestFirstThenOlder() public {
        _deposit(alice, 1000);
        _settle(1, "one", _charges1(alice, 100), _totals1(100, 0));
        _settle(2, "two", _charges1(alice, 200), _totals1(200, 0));
        vm.startPrank(guardian);
        vm.expectRevert(
            abi.encodeWithSelector(
                Settlement.NotVetoable.selector,
                1,
                Settlement.EpochStatus.Pending,
                2,
                uint64(block.timestamp + CHALLENGE)
            )
        );
        ledger.veto(1, _charges1(alice, 100));
        ledger.veto(2, _charges1(alice, 200));
        ledger.veto(1, _charges1(alice, 100));
        vm.stopPrank();
        vm.assertEq(ledger.escrowOf(alice, address(token)), 1000);
        (, uint64 tip,,) = ledger.epochIds();
        vm.assertEq(tip, 0);
    }

    function test_veto_RevertWhen_challengeOverOrWrongCharges() public {
        _deposit(alice, 1000);
        _settle(1, "one", _charges1(alice, 100), _totals1(100, 0));
        vm.expectRevert(abi.encodeWithSelector(Settlement.ChargesMismatch.selector, 1));
        vm.prank(guardian);
        ledger.veto(1, _charges1(alice, 99));
        vm.expectRevert(abi.encodeWithSelector(Roles.Unauthorized.selector, settler, Roles.Role.Guardian));
        vm.prank(settler);
        ledger.veto(1, _charges1(alice, 100));
        uint64 claimableAt = uint64(block.timestamp + CHALLENGE);
        vm.warp(claimableAt);
        vm.expectRevert(
            abi.encodeWithSelector(
                Settlement.NotVetoable.selector, 1, Settlement.EpochStatus.Pending, 1, claimableAt
            )
        );
        vm.prank(guardian);
        ledger.veto(1, _charges1(alice, 100));
        vm.expectRevert(
            abi.encodeWithSelector(Settlement.NotVetoable.selector, 9, Settlement.EpochStatus.None, 1, 0)
        );
        vm.prank(guardian);
        ledger.veto(9, _charges1(alice, 100));
    }

    function test_veto_worksWhilePausedWithinChallenge() public {
        _deposit(alice, 100);
        _settle(1, "one", _charges1(alice, 100), _totals1(100, 0));
        vm.startPrank(guardian);
        ledger.pause();
        ledger.veto(1, _charges1(alice, 100));
        vm.stopPrank();
        vm.assertEq(ledger.escrowOf(alice, address(token)), 100);
    }

    function test_veto_pastChallengeWhilePaused() public {
        _deposit(alice, 100);
        _settle(1, "one", _charges1(alice, 100), _totals1(100, 0));
        vm.prank(guardian);
        ledger.pause();
        vm.warp(block.timestamp + 2 * CHALLENGE);
        vm.expectRevert(Roles.Paused.selector);
        ledger.finalize();
        vm.prank(guardian);
        ledger.veto(1, _charges1(alice, 100));
        vm.assertEq(ledger.escrowOf(alice, address(token)), 100);
        vm.prank(owner);
        ledger.unpause();
        ledger.finalize();
        vm.assertEq(ledger.claimRoot(), bytes32(0));
    }

    function test_finalize_inIdOrderAfterChallenge() public {
        _deposit(alice, 1000);
        _settle(1, "one", _charges1(alice, 100), _totals1(100, 0));
        vm.warp(block.timestamp + CHALLENGE / 2);
        _settle(2, "two", _charges1(alice, 200), _totals1(200, 0));
        ledger.finalize();
        vm.assertEq(ledger.claimRoot(), bytes32(0));
        vm.warp(block.timestamp + CHALLENGE / 2);
        vm.expectEmit();
        emit EpochFinalized(1, "one");
        ledger.finalize();
        vm.assertEq(ledger.claimRoot(), bytes32("one"));
        (uint128 settled,) = ledger.bookOf(address(token));
        vm.assertEq(settled, 100);
        vm.warp(block.timestamp + CHALLENGE / 2);
        ledger.finalize();
        vm.assertEq(ledger.claimRoot(), bytes32("two"));
        (settled,) = ledger.bookOf(address(token));
        vm.assertEq(settled, 300);
        vm.assertEq(ledger.pendingOf(address(token)), 0);
        vm.assertEq(uint8(ledger.epochOf(2).status), uint8(Settlement.EpochStatus.Final));
    }

    function test_settleEpoch_finalizesReadyEpochs() public {
        _settle(1, "one", new Settlement.Charge[](0), new Settlement.TokenTotal[](0));
        vm.warp(block.timestamp + CHALLENGE);
        _settle(2, "two", new Settlement.Charge[](0), new Settlement.TokenTotal[](0));
        vm.assertEq(ledger.claimRoot(), bytes32("one"));
    }

    function test_settleEpoch_multipleTokensSorted() public {
        MockERC20 other = new MockERC20("Other", "O", 18);
        (address low, address high) = address(other) < address(token)
            ? (address(other), address(token))
            : (address(token), address(other));
        _deposit(alice, 10);
        other.mint(alice, 20);
        vm.startPrank(alice);
        other.approve(address(ledger), 20);
        ledger.deposit(alice, address(other), 20);
        vm.stopPrank();
        Settlement.Charge[] memory c = new Settlement.Charge[](2);
        c[0] = Settlement.Charge(alice, address(token), 10);
        c[1] = Settlement.Charge(alice, address(other), 20);
        Settlement.TokenTotal[] memory t = new Settlement.TokenTotal[](2);
        t[0] = Settlement.TokenTotal(low, low == address(token) ? 10 : 20, 0);
        t[1] = Settlement.TokenTotal(high, high == address(token) ? 10 : 20, 0);
        _settle(1, "r", c, t);
        vm.assertEq(ledger.pendingOf(address(other)), 20);
        vm.assertEq(ledger.pendingOf(address(token)), 10);
    }

    function _holdFee(uint256 amount) internal {
        token.mint(address(ledger), amount);
        vm.prank(address(licensing));
        ledger.recordLicenseFee(1, "asset", address(token), amount);
    }

    function test_veto_RevertWhen_epochAlreadyVetoedOrFinal() public {
        _deposit(alice, 1000);
        _settle(1, "one", _charges1(alice, 100), _totals1(100, 0));
        uint64 claimableAt = uint64(block.timestamp + CHALLENGE);
        vm.prank(guardian);
        ledger.veto(1, _charges1(alice, 100));
        vm.expectRevert(
            abi.encodeWithSelector(
                Settlement.NotVetoable.selector, 1, Settlement.EpochStatus.Vetoed, 0, claimableAt
            )
        );
        vm.prank(guardian);
        ledger.veto(1, _charges1(alice, 100));
        _settle(2, "two", _charges1(alice, 100), _totals1(100, 0));
        claimableAt = uint64(block.timestamp + CHALLENGE);
        vm.warp(claimableAt);
        ledger.finalize();
        vm.expectRevert(
            abi.encodeWithSelector(
                Settlement.NotVetoable.selector, 2, Settlement.EpochStatus.Final, 2, claimableAt
            )
        );
        vm.prank(guardian);
        ledger.veto(2, _charges1(alice, 100));
    }

    function test_finalize_skipsVetoedEpochs() public {
        _deposit(alice, 1000);
        _settle(1, "one", _charges1(alice, 100), _totals1(100, 0));
        _settle(2, "two", _charges1(alice, 200), _totals1(200, 0));
        vm.prank(guardian);
        ledger.veto(2, _charges1(alice, 200));
        _settle(3, "three", _charges1(alice, 300), _totals1(300, 0));
        vm.assertEq(ledger.epochOf(3).parentId, 1);
        vm.warp(block.timestamp + CHALLENGE);
        ledger.finalize();
        vm.assertEq(ledger.claimRoot(), bytes32("three"));
        (uint128 settled,) = ledger.bookOf(address(token));
        vm.assertEq(settled, 400);
        vm.assertEq(ledger.escrowOf(alice, address(token)), 600);
    }
}
