// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BaseTest} from "./utils/BaseTest.sol";
import {Roles} from "../src/base/Roles.sol";
import {EpochLedger} from "../src/EpochLedger.sol";

contract RolesTest is BaseTest {
    event RoleTransferStarted(Roles.Role indexed role, address indexed current, address indexed pending);
    event RoleTransferred(Roles.Role indexed role, address indexed previous, address indexed current);
    event PauseChanged(bool paused, address indexed by);

    function test_constructor_setsRoles() public view {
        vm.assertEq(ledger.holderOf(Roles.Role.Owner), owner);
        vm.assertEq(ledger.holderOf(Roles.Role.Settler), settler);
        vm.assertEq(ledger.holderOf(Roles.Role.Guardian), guardian);
    }

    function test_constructor_RevertWhen_zeroRole() public {
        vm.expectRevert(Roles.ZeroAddress.selector);
        new EpochLedger(owner, address(0), guardian, CHALLENGE, TIMEOUT);
    }

    function test_proposeRole_thenAccept_movesRoleInTwoSteps() public {
        vm.expectEmit();
        emit RoleTransferStarted(Roles.Role.Settler, settler, bob);
        vm.prank(owner);
        ledger.proposeRole(Roles.Role.Settler, bob);
        vm.assertEq(ledger.pendingHolderOf(Roles.Role.Settler), bob);
        vm.assertEq(ledger.holderOf(Roles.Role.Settler), settler);
        vm.expectEmit();
        emit RoleTransferred(Roles.Role.Settler, settler, bob);
        vm.prank(bob);
        ledger.acceptRole(Roles.Role.Settler);
        vm.assertEq(ledger.holderOf(Roles.Role.Settler), bob);
        vm.assertEq(ledger.pendingHolderOf(Roles.Role.Settler), address(0));
    }

    function test_proposeRole_RevertWhen_notOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Roles.Unauthorized.selector, bob, Roles.Role.Owner));
        vm.prank(bob);
        ledger.proposeRole(Roles.Role.Owner, bob);
    }

    function test_acceptRole_RevertWhen_notPending() public {
        vm.prank(owner);
        ledger.proposeRole(Roles.Role.Owner, bob);
        vm.expectRevert(abi.encodeWithSelector(Roles.NotPendingHolder.selector, carol, Roles.Role.Owner, bob));
        vm.prank(carol);
        ledger.acceptRole(Roles.Role.Owner);
        vm.expectRevert(
            abi.encodeWithSelector(
                Roles.NotPendingHolder.selector, address(0), Roles.Role.Guardian, address(0)
            )
        );
        vm.prank(address(0));
        ledger.acceptRole(Roles.Role.Guardian);
    }

    function test_pause_byGuardian_unpauseByOwner() public {
        vm.expectEmit();
        emit PauseChanged(true, guardian);
        vm.prank(guardian);
        ledger.pause();
        vm.assertTrue(ledger.paused());
        vm.expectRevert(Roles.Paused.selector);
        vm.prank(owner);
        ledger.pause();
        vm.expectRevert(abi.encodeWithSelector(Roles.Unauthorized.selector, guardian, Roles.Role.Owner));
        vm.prank(guardian);
        ledger.unpause();
        vm.expectEmit();
        emit PauseChanged(false, owner);
        vm.prank(owner);
        ledger.unpause();
        vm.expectRevert(Roles.NotPaused.selector);
        vm.prank(owner);
        ledger.unpause();
    }

    function test_pause_RevertWhen_stranger() public {
        vm.expectRevert(abi.encodeWithSelector(Roles.Unauthorized.selector, bob, Roles.Role.Guardian));
        vm.prank(bob);
        ledger.pause();
    }

    function test_pause_blocksDepositSettleAndClaim() public {
        vm.prank(guardian);
        ledger.pause();
        vm.expectRevert(Roles.Paused.selector);
        ledger.deposit(alice, address(token), 1);
        vm.expectRevert(Roles.Paused.selector);
        vm.prank(settler);
        ledger.settleEpoch(1, 0, _charges1(alice, 0), _totals1(0, 0), 0, "");
        vm.expectRevert(Roles.Paused.selector);
        ledger.claim(alice, address(token), 1, new bytes32[](0));
        vm.expectRevert(Roles.Paused.selector);
        ledger.claimBatch(new EpochLedger.ClaimRequest[](0));
    }
}
