// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Settlement} from "../src/base/Settlement.sol";
import {BaseTest} from "./utils/BaseTest.sol";
import {Escrow} from "../src/base/Escrow.sol";
import {Roles} from "../src/base/Roles.sol";
import {EpochLedger} from "../src/EpochLedger.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

contract EscrowTest is BaseTest {
    event Deposited(
        address indexed payer, address indexed token, address from, uint256 amount, uint256 balance
    );
    event WithdrawalRequested(
        address indexed payer, address indexed token, uint256 amount, uint64 unlockEpoch, uint256 unlockAt
    );
    event Withdrawn(address indexed payer, address indexed token, uint256 amount, uint256 balance);
    event LicensingSet(address indexed licensing);

    function test_deposit_creditsPayerFromCaller() public {
        token.mint(bob, 500);
        vm.startPrank(bob);
        token.approve(address(ledger), 500);
        vm.expectEmit();
        emit Deposited(alice, address(token), bob, 500, 500);
        ledger.deposit(alice, address(token), 500);
        vm.stopPrank();
        vm.assertEq(ledger.escrowOf(alice, address(token)), 500);
        vm.assertEq(token.balanceOf(address(ledger)), 500);
    }

    function test_deposit_RevertWhen_zeroAmountOrPayer() public {
        vm.expectRevert(Escrow.ZeroAmount.selector);
        ledger.deposit(alice, address(token), 0);
        vm.expectRevert(Roles.ZeroAddress.selector);
        ledger.deposit(address(0), address(token), 1);
    }

    function test_withdraw_afterTwoSettledEpochs() public {
        _deposit(alice, 1000);
        vm.expectEmit();
        emit WithdrawalRequested(alice, address(token), 400, 2, block.timestamp + TIMEOUT);
        vm.prank(alice);
        ledger.requestWithdrawal(address(token), 400);
        _settle(1, 0, _charges1(alice, 100), _totals1(100, 0));
        vm.expectRevert(
            abi.encodeWithSelector(
                Escrow.WithdrawalLocked.selector, alice, address(token), 2, 1, block.timestamp + TIMEOUT
            )
        );
        vm.prank(alice);
        ledger.withdraw(address(token));
        _settle(2, 0, new Settlement.Charge[](0), new Settlement.TokenTotal[](0));
        vm.expectEmit();
        emit Withdrawn(alice, address(token), 400, 500);
        vm.prank(alice);
        uint256 paid = ledger.withdraw(address(token));
        vm.assertEq(paid, 400);
        vm.assertEq(token.balanceOf(alice), 400);
        (uint128 amount,,) = ledger.withdrawalOf(alice, address(token));
        vm.assertEq(amount, 0);
    }

    function test_withdraw_paysAtMostBalanceLeftAfterCharges() public {
        _deposit(alice, 1000);
        vm.prank(alice);
        ledger.requestWithdrawal(address(token), 1000);
        _settle(1, 0, _charges1(alice, 300), _totals1(300, 0));
        _settle(2, 0, new Settlement.Charge[](0), new Settlement.TokenTotal[](0));
        vm.prank(alice);
        vm.assertEq(ledger.withdraw(address(token)), 700);
        vm.assertEq(ledger.escrowOf(alice, address(token)), 0);
    }

    function test_withdraw_afterTimeoutWhenSettlerStalls() public {
        _deposit(alice, 1000);
        vm.prank(alice);
        ledger.requestWithdrawal(address(token), 1000);
        vm.warp(block.timestamp + TIMEOUT);
        vm.prank(alice);
        vm.assertEq(ledger.withdraw(address(token)), 1000);
    }

    function test_withdraw_RevertWhen_noRequest() public {
        vm.expectRevert(abi.encodeWithSelector(Escrow.NoWithdrawalRequested.selector, alice, address(token)));
        vm.prank(alice);
        ledger.withdraw(address(token));
    }

    function test_requestWithdrawal_RevertWhen_zero() public {
        vm.expectRevert(Escrow.ZeroAmount.selector);
        ledger.requestWithdrawal(address(token), 0);
    }

    function test_setLicensing_onceByOwner() public {
        EpochLedger fresh = new EpochLedger(owner, settler, guardian, CHALLENGE, TIMEOUT);
        vm.expectRevert(abi.encodeWithSelector(Roles.Unauthorized.selector, bob, Roles.Role.Owner));
        vm.prank(bob);
        fresh.setLicensing(bob);
        vm.startPrank(owner);
        vm.expectRevert(Roles.ZeroAddress.selector);
        fresh.setLicensing(address(0));
        vm.expectEmit();
        emit LicensingSet(bob);
        fresh.setLicensing(bob);
        vm.expectRevert(abi.encodeWithSelector(Escrow.LicensingAlreadySet.selector, bob));
        fresh.setLicensing(carol);
        vm.stopPrank();
    }

    function test_requestWithdrawal_RevertWhen_aboveUint128() public {
        vm.expectRevert(
            abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, 128, 2 ** 128)
        );
        ledger.requestWithdrawal(address(token), 2 ** 128);
    }

    function test_requestWithdrawal_replacesEarlierRequest() public {
        _deposit(alice, 1000);
        vm.startPrank(alice);
        ledger.requestWithdrawal(address(token), 100);
        ledger.requestWithdrawal(address(token), 300);
        vm.stopPrank();
        (uint128 amount, uint64 unlockEpoch,) = ledger.withdrawalOf(alice, address(token));
        vm.assertEq(amount, 300);
        vm.assertEq(unlockEpoch, 2);
    }
}
