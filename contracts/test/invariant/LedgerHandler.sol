// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Settlement} from "../../src/base/Settlement.sol";
import {Test} from "../utils/Vm.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {EpochLedger} from "../../src/EpochLedger.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {Attribution} from "../../src/libraries/Attribution.sol";

/// @notice Drives the ledger the way the settler, guardian, payers and claimants do, and keeps ghost
/// balances the invariants compare against. Every action is shaped so it never reverts.
contract LedgerHandler is Test {
    uint64 internal constant CHALLENGE = 1 days;
    uint256 internal constant FEE_BPS = 500;
    uint256 internal constant PAYERS = 3;
    uint256 internal constant RECIPIENTS = 4; // the last one is the treasury (protocol fee)

    EpochLedger public immutable ledger;
    MockERC20 public immutable token;
    address public immutable settler;
    address public immutable guardian;
    address public immutable licensing;

    address[PAYERS] public payers = [address(0x1001), address(0x1002), address(0x1003)];
    address[RECIPIENTS] public recipients =
        [address(0x2001), address(0x2002), address(0x2003), address(0x7EA5)];

    // Ghost state.
    mapping(address payer => uint256) public ghostEscrow;
    uint256 public ghostHeldFees;
    uint256 public ghostClaimed;
    uint256 public ghostFinalizedAccruals;
    mapping(uint64 epochId => uint256) public ghostCharged;
    mapping(uint64 epochId => uint256) public ghostAccrued; // to recipients, protocol fee included
    mapping(uint64 epochId => uint256) public ghostProtocolFee;
    mapping(uint64 epochId => uint256[RECIPIENTS]) internal _cumulative;
    mapping(uint64 epochId => bytes32[]) internal _trees;
    mapping(uint64 epochId => Settlement.Charge[]) internal _charges;
    mapping(uint64 epochId => uint256) internal _feesUsed;
    uint64 public ghostFinalizedThrough;
    uint256 public calls;

    constructor(
        EpochLedger ledger_,
        MockERC20 token_,
        address settler_,
        address guardian_,
        address licensing_
    ) {
        ledger = ledger_;
        token = token_;
        settler = settler_;
        guardian = guardian_;
        licensing = licensing_;
    }

    function deposit(uint256 payerSeed, uint256 amount) external {
        address payer = payers[payerSeed % PAYERS];
        amount = bound(amount, 1, 1e12);
        token.mint(payer, amount);
        vm.startPrank(payer);
        token.approve(address(ledger), amount);
        ledger.deposit(payer, address(token), amount);
        vm.stopPrank();
        ghostEscrow[payer] += amount;
        ++calls;
    }

    function requestWithdrawal(uint256 payerSeed, uint256 amount) external {
        address payer = payers[payerSeed % PAYERS];
        vm.prank(payer);
        ledger.requestWithdrawal(address(token), bound(amount, 1, 1e12));
        ++calls;
    }

    function withdraw(uint256 payerSeed) external {
        address payer = payers[payerSeed % PAYERS];
        (uint128 amount, uint64 unlockEpoch, uint64 requestedAt) = ledger.withdrawalOf(payer, address(token));
        (uint64 last,,,) = ledger.epochIds();
        if (
            amount == 0 || (last < unlockEpoch && block.timestamp < requestedAt + ledger.WITHDRAWAL_TIMEOUT())
        ) {
            return;
        }
        vm.prank(payer);
        ghostEscrow[payer] -= ledger.withdraw(address(token));
        ++calls;
    }

    function payLicenseFee(uint256 amount) external {
        amount = bound(amount, 1, 1e9);
        token.mint(address(ledger), amount);
        vm.prank(licensing);
        ledger.recordLicenseFee(1, "asset", address(token), amount);
        ghostHeldFees += amount;
        ++calls;
    }

    /// @dev Charges each payer a share of its escrow, attributes charges and fees with the library and
    /// posts the cumulative tree, built on the newest live epoch.
    function settle(
        uint256[PAYERS] calldata chargeSeeds,
        uint256 feeSeed,
        uint256[RECIPIENTS] calldata weights
    ) external {
        (uint64 last, uint64 tip,,) = ledger.epochIds();
        uint64 epochId = last + 1;
        uint256 charged;
        for (uint256 i; i < PAYERS; ++i) {
            uint256 amount = bound(chargeSeeds[i], 0, ghostEscrow[payers[i]]);
            if (amount == 0) continue;
            _charges[epochId].push(Settlement.Charge(payers[i], address(token), amount));
            ghostEscrow[payers[i]] -= amount;
            charged += amount;
        }
        uint256 fees = bound(feeSeed, 0, ghostHeldFees);
        ghostHeldFees -= fees;
        _feesUsed[epochId] = fees;
        _attribute(epochId, tip, charged + fees, weights);
        Settlement.TokenTotal[] memory totals = new Settlement.TokenTotal[](1);
        totals[0] = Settlement.TokenTotal(address(token), charged, fees);
        vm.prank(settler);
        ledger.settleEpoch(epochId, _trees[epochId][0], _charges[epochId], totals, bytes32(0), "");
        ghostCharged[epochId] = charged;
        _syncFinalized();
        ++calls;
    }

    function veto() external {
        (, uint64 tip,,) = ledger.epochIds();
        if (tip == 0) return;
        Settlement.Epoch memory epoch = ledger.epochOf(tip);
        if (epoch.status != Settlement.EpochStatus.Pending || block.timestamp >= epoch.claimableAt) return;
        uint256 pendingBefore = ledger.pendingOf(address(token));
        vm.prank(guardian);
        ledger.veto(tip, _charges[tip]);
        Settlement.Charge[] storage charges = _charges[tip];
        for (uint256 i; i < charges.length; ++i) {
            ghostEscrow[charges[i].payer] += charges[i].amount;
        }
        ghostHeldFees += _feesUsed[tip];
        // A vetoed epoch leaves its charges and fees exactly where they were before it.
        vm.assertEq(ledger.pendingOf(address(token)), pendingBefore - ghostCharged[tip] - _feesUsed[tip]);
        ++calls;
    }

    function warpAndFinalize(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 2 * CHALLENGE));
        ledger.finalize();
        _syncFinalized();
        ++calls;
    }

    function claim(uint256 recipientSeed) external {
        (,, uint64 claimable,) = ledger.epochIds();
        if (claimable == 0) return;
        uint256 r = recipientSeed % RECIPIENTS;
        address account = recipients[r];
        uint256 cumulative = _cumulative[claimable][r];
        uint256 already = ledger.claimedOf(account, address(token));
        if (cumulative <= already) return;
        bytes32[] memory proof = MerkleBuilder.proof(
            _trees[claimable], Attribution.accrualLeaf(account, address(token), cumulative)
        );
        ghostClaimed += ledger.claim(account, address(token), cumulative, proof);
        ++calls;
    }

    /// @notice The cumulative amount of recipient `r` in epoch `epochId`'s tree.
    function cumulativeOf(uint64 epochId, uint256 r) external view returns (uint256) {
        return _cumulative[epochId][r];
    }

    function payerCount() external pure returns (uint256) {
        return PAYERS;
    }

    function _attribute(uint64 epochId, uint64 parentId, uint256 revenue, uint256[RECIPIENTS] calldata w)
        internal
    {
        uint256[] memory weights = new uint256[](RECIPIENTS - 1);
        for (uint256 i; i < weights.length; ++i) {
            weights[i] = bound(w[i], 1, 1e6);
        }
        Attribution.Attributed memory a = Attribution.attribute(revenue, FEE_BPS, new uint16[](0), weights);
        uint256[RECIPIENTS] storage cumulative = _cumulative[epochId];
        bytes32[] memory leaves = new bytes32[](RECIPIENTS);
        uint256 accrued;
        for (uint256 i; i < RECIPIENTS; ++i) {
            uint256 part = i + 1 == RECIPIENTS ? a.fee : a.contributorParts[i];
            // The owner's dust goes to the first recipient, standing in for the asset owner.
            if (i == 0) part += a.ownerDust;
            cumulative[i] = _cumulative[parentId][i] + part;
            accrued += part;
            leaves[i] = Attribution.accrualLeaf(recipients[i], address(token), cumulative[i]);
        }
        ghostAccrued[epochId] = accrued;
        ghostProtocolFee[epochId] = a.fee;
        _trees[epochId] = MerkleBuilder.build(leaves);
    }

    function _syncFinalized() internal {
        (uint64 last,,, uint64 cursor) = ledger.epochIds();
        for (uint64 e = ghostFinalizedThrough + 1; e <= cursor && e <= last; ++e) {
            if (ledger.epochOf(e).status == Settlement.EpochStatus.Final) {
                ghostFinalizedAccruals += ghostAccrued[e];
            }
        }
        ghostFinalizedThrough = cursor;
    }
}
