// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Settlement} from "../../src/base/Settlement.sol";
import {InvariantTest} from "../utils/Vm.sol";
import {LedgerHandler} from "./LedgerHandler.sol";
import {EpochLedger} from "../../src/EpochLedger.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";

/// @notice Money invariants of the ledger under random deposits, withdrawals, license fees,
/// settlements, vetoes, time and claims.
contract EpochLedgerInvariantTest is InvariantTest {
    EpochLedger internal ledger;
    MockERC20 internal token;
    LedgerHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        address licensing = address(0x11C);
        ledger = new EpochLedger(address(this), address(0x5E), address(0x6A), 1 days, 30 days);
        ledger.setLicensing(licensing);
        token = new MockERC20("Test USD", "tUSD", 6);
        handler = new LedgerHandler(ledger, token, address(0x5E), address(0x6A), licensing);
        targetContract(address(handler));
    }

    /// @dev claimed ≤ accrued by finalized epochs, on-chain and in the ghost model.
    function invariant_claimedNeverExceedsSettled() public view {
        (uint128 settled, uint128 claimed) = ledger.bookOf(address(token));
        vm.assertLe(claimed, settled, "book");
        vm.assertEq(claimed, handler.ghostClaimed());
        vm.assertEq(settled, handler.ghostFinalizedAccruals());
    }

    /// @dev The ledger holds at least escrow + held fees + pending epochs + unclaimed settled amounts
    /// (exactly that, with honest roots).
    function invariant_balanceCoversLiabilities() public view {
        uint256 escrow;
        for (uint256 i; i < handler.payerCount(); ++i) {
            escrow += ledger.escrowOf(handler.payers(i), address(token));
        }
        (uint128 settled, uint128 claimed) = ledger.bookOf(address(token));
        uint256 liabilities =
            escrow + ledger.heldFeesOf(address(token)) + ledger.pendingOf(address(token)) + settled - claimed;
        vm.assertGe(token.balanceOf(address(ledger)), liabilities, "balance below liabilities");
        vm.assertEq(token.balanceOf(address(ledger)), liabilities);
    }

    /// @dev Escrow and held fees match the model: settlements debit, vetoes restore exactly.
    function invariant_escrowMatchesGhost() public view {
        for (uint256 i; i < handler.payerCount(); ++i) {
            address payer = handler.payers(i);
            vm.assertEq(ledger.escrowOf(payer, address(token)), handler.ghostEscrow(payer));
        }
        vm.assertEq(ledger.heldFeesOf(address(token)), handler.ghostHeldFees());
    }

    /// @dev For every epoch: its charges sum to its declared total, and charges + fees equal the
    /// accruals it committed (contributors + owner dust + protocol fee).
    function invariant_epochChargesEqualTotalsAndAccruals() public view {
        (uint64 last,,,) = ledger.epochIds();
        for (uint64 e = 1; e <= last; ++e) {
            Settlement.TokenTotal[] memory totals = ledger.totalsOf(e);
            vm.assertEq(totals[0].charged, handler.ghostCharged(e));
            vm.assertEq(totals[0].charged + totals[0].licenseFees, handler.ghostAccrued(e));
        }
    }

    /// @dev The claimable root's cumulative amounts add up to exactly what finalized epochs settled.
    function invariant_claimableRootSumsToSettled() public view {
        (,, uint64 claimable,) = ledger.epochIds();
        uint256 sum;
        for (uint256 r; r < 4; ++r) {
            sum += handler.cumulativeOf(claimable, r);
        }
        (uint128 settled,) = ledger.bookOf(address(token));
        vm.assertEq(sum, settled);
    }

    /// @dev The handler's paths really move money (guards against a handler that silently no-ops).
    function test_handler_exercisesEveryPath() public {
        uint256[3] memory charges = [uint256(400), 300, 200];
        uint256[4] memory weights = [uint256(5), 3, 2, 0];
        handler.deposit(0, 1000);
        handler.deposit(1, 1000);
        handler.payLicenseFee(50);
        handler.settle(charges, 50, weights);
        handler.veto();
        vm.assertEq(ledger.escrowOf(handler.payers(0), address(token)), 1000);
        handler.settle(charges, 50, weights);
        handler.warpAndFinalize(1 days);
        (uint128 settled,) = ledger.bookOf(address(token));
        vm.assertEq(settled, 400 + 300 + 50);
        for (uint256 r; r < 4; ++r) {
            handler.claim(r);
        }
        vm.assertEq(handler.ghostClaimed(), 750);
        handler.requestWithdrawal(1, 10_000);
        handler.settle(charges, 0, weights);
        handler.settle(charges, 0, weights);
        handler.withdraw(1);
        vm.assertEq(token.balanceOf(handler.payers(1)), 1000 - 300 * 3);
        invariant_balanceCoversLiabilities();
        invariant_claimableRootSumsToSettled();
    }
}
