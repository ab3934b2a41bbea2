// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Escrow} from "./Escrow.sol";

/// @title Settlement
/// @notice Epochs: the settler debits per-payer charges and posts the cumulative Merkle root of
/// (account, token, cumulativeAmount); during the challenge period the guardian may veto the newest
/// live epoch (refunding its charges and fees); afterwards the epoch becomes final and its root is the
/// one claims are proven against, and its per-token total becomes claimable.
abstract contract Settlement is Escrow {
    enum EpochStatus {
        None,
        Pending,
        Vetoed,
        Final
    }

    struct Charge {
        address payer;
        address token;
        uint256 amount;
    }

    /// @dev `charged` must equal the sum of the epoch's charges in `token`; `licenseFees` comes out of held fees.
    struct TokenTotal {
        address token;
        uint256 charged;
        uint256 licenseFees;
    }

    struct Epoch {
        bytes32 root;
        bytes32 chargesHash;
        uint64 claimableAt;
        uint64 parentId;
        EpochStatus status;
    }

    /// @dev Settled = accrued by finalized epochs; claimed ≤ settled always.
    struct TokenBook {
        uint128 settled;
        uint128 claimed;
    }

    error EpochOutOfOrder(uint64 expected, uint64 epochId);
    error TotalsNotSorted(uint256 index, address token);
    error ChargeTokenNotInTotals(uint256 index, address token);
    error InsufficientEscrow(address payer, address token, uint256 balance, uint256 needed);
    error InsufficientHeldFees(address token, uint256 held, uint256 needed);
    error TotalMismatch(address token, uint256 declared, uint256 charged);
    error NotVetoable(uint64 epochId, EpochStatus status, uint64 tipEpochId, uint64 claimableAt);
    error ChargesMismatch(uint64 epochId);

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

    /// @notice Seconds between posting an epoch and its root becoming claimable.
    uint64 public immutable CHALLENGE_PERIOD;

    /// @notice Root claims are proven against: the newest finalized epoch's.
    bytes32 public claimRoot;
    /// @dev Epochs up to this id are final or vetoed.
    uint64 private _finalizedCursor;
    mapping(uint64 epochId => Epoch) private _epochs;
    mapping(uint64 epochId => TokenTotal[]) private _totals;
    /// @notice Per token: amount settled by finalized epochs and amount claimed; claimed ≤ settled.
    mapping(address token => TokenBook) public bookOf;
    /// @notice Per token: charges and fees of epochs still in their challenge period.
    mapping(address token => uint256) public pendingOf;

    constructor(uint64 challengePeriod) {
        CHALLENGE_PERIOD = challengePeriod;
    }

    /// @notice Posts epoch `epochId` (strictly the next id): debits `charges` from escrow, moves
    /// `licenseFees` out of held fees, and records `root`, claimable after the challenge period.
    /// Gas grows with `charges.length` (payers) and `totals.length` (tokens), never with recipients.
    /// @param totals One entry per token, strictly ascending by token address.
    /// @param usageDigest Hash of the epoch's usage records, for reconciliation.
    /// @param manifestURI Where the manifest (full tree and attribution) is published.
    function settleEpoch(
        uint64 epochId,
        bytes32 root,
        Charge[] calldata charges,
        TokenTotal[] calldata totals,
        bytes32 usageDigest,
        string calldata manifestURI
    ) external onlyRole(Role.Settler) whenNotPaused {
        if (epochId != _lastEpochId + 1) {
            revert EpochOutOfOrder(_lastEpochId + 1, epochId);
        }
        _finalizeReady();
        _bookTotals(epochId, totals, _debit(epochId, charges, totals));
        uint64 claimableAt = uint64(block.timestamp) + CHALLENGE_PERIOD;
        _epochs[epochId] =
            Epoch(root, keccak256(abi.encode(charges)), claimableAt, _tipEpochId, EpochStatus.Pending);
        _lastEpochId = epochId;
        _tipEpochId = epochId;
        emit EpochSettled(epochId, root, usageDigest, manifestURI, charges.length, claimableAt);
    }

    /// @notice Vetoes the newest live epoch during its challenge period (or at any time while paused,
    /// since nothing finalizes then) and refunds its charges to escrow and its license fees to held
    /// fees. Guardian only. To veto an older epoch, veto the newer ones first (their cumulative roots
    /// build on it); pausing first stops a compromised settler from racing the guardian.
    /// @param charges Exactly the `charges` the epoch was settled with.
    function veto(uint64 epochId, Charge[] calldata charges) external onlyRole(Role.Guardian) {
        Epoch storage epoch = _epochs[epochId];
        // While paused nothing finalizes, so the guardian may veto past the challenge period.
        if (
            epoch.status != EpochStatus.Pending || epochId != _tipEpochId
                || (block.timestamp >= epoch.claimableAt && !_paused)
        ) {
            revert NotVetoable(epochId, epoch.status, _tipEpochId, epoch.claimableAt);
        }
        if (keccak256(abi.encode(charges)) != epoch.chargesHash) revert ChargesMismatch(epochId);
        epoch.status = EpochStatus.Vetoed;
        _tipEpochId = epoch.parentId;
        for (uint256 i; i < charges.length; ++i) {
            Charge calldata charge = charges[i];
            escrowOf[charge.payer][charge.token] += charge.amount;
            emit ChargeRefunded(epochId, charge.payer, charge.token, charge.amount);
        }
        TokenTotal[] storage totals = _totals[epochId];
        for (uint256 t; t < totals.length; ++t) {
            TokenTotal storage total = totals[t];
            heldFeesOf[total.token] += total.licenseFees;
            pendingOf[total.token] -= total.charged + total.licenseFees;
        }
        emit EpochVetoed(epochId, msg.sender);
    }

    /// @notice Makes every epoch whose challenge period ended final, in id order; anyone may call.
    /// `settleEpoch` calls it too. Nothing finalizes while paused.
    function finalize() external whenNotPaused {
        _finalizeReady();
    }

    /// @notice Epoch `epochId` as stored.
    function epochOf(uint64 epochId) external view returns (Epoch memory) {
        return _epochs[epochId];
    }

    /// @notice The per-token totals epoch `epochId` was settled with.
    function totalsOf(uint64 epochId) external view returns (TokenTotal[] memory) {
        return _totals[epochId];
    }

    /// @notice Ids of the last settled epoch, the newest live one, the one claims use, and the last
    /// one that is final or vetoed.
    function epochIds()
        external
        view
        returns (uint64 last, uint64 tip, uint64 claimable, uint64 finalizedCursor)
    {
        return (_lastEpochId, _tipEpochId, _claimEpochId, _finalizedCursor);
    }

    /// @dev Debits each charge from escrow; returns the sum charged per entry of `totals`.
    function _debit(uint64 epochId, Charge[] calldata charges, TokenTotal[] calldata totals)
        private
        returns (uint256[] memory sums)
    {
        sums = new uint256[](totals.length);
        for (uint256 i; i < charges.length; ++i) {
            Charge calldata charge = charges[i];
            uint256 t = _indexOf(totals, charge.token, i);
            uint256 balance = escrowOf[charge.payer][charge.token];
            if (charge.amount > balance) {
                revert InsufficientEscrow(charge.payer, charge.token, balance, charge.amount);
            }
            escrowOf[charge.payer][charge.token] = balance - charge.amount;
            sums[t] += charge.amount;
            emit ChargeDebited(epochId, charge.payer, charge.token, charge.amount);
        }
    }

    /// @dev Checks each token total against the debited `sums`, takes its license fees out of held fees,
    /// and stores it with the epoch.
    function _bookTotals(uint64 epochId, TokenTotal[] calldata totals, uint256[] memory sums) private {
        TokenTotal[] storage stored = _totals[epochId];
        address previous;
        for (uint256 t; t < totals.length; ++t) {
            TokenTotal calldata total = totals[t];
            if (total.token <= previous) revert TotalsNotSorted(t, total.token);
            previous = total.token;
            if (sums[t] != total.charged) revert TotalMismatch(total.token, total.charged, sums[t]);
            uint256 held = heldFeesOf[total.token];
            if (total.licenseFees > held) revert InsufficientHeldFees(total.token, held, total.licenseFees);
            heldFeesOf[total.token] = held - total.licenseFees;
            pendingOf[total.token] += total.charged + total.licenseFees;
            stored.push(total);
            emit EpochTotalSettled(epochId, total.token, total.charged, total.licenseFees);
        }
    }

    function _finalizeReady() internal {
        uint64 cursor = _finalizedCursor;
        uint64 last = _lastEpochId;
        uint64 claimEpoch = _claimEpochId;
        while (cursor < last) {
            Epoch storage epoch = _epochs[cursor + 1];
            if (epoch.status == EpochStatus.Pending) {
                if (block.timestamp < epoch.claimableAt) break;
                epoch.status = EpochStatus.Final;
                claimEpoch = cursor + 1;
                TokenTotal[] storage totals = _totals[claimEpoch];
                for (uint256 t; t < totals.length; ++t) {
                    uint256 amount = totals[t].charged + totals[t].licenseFees;
                    pendingOf[totals[t].token] -= amount;
                    bookOf[totals[t].token].settled += SafeCast.toUint128(amount);
                }
                claimRoot = epoch.root;
                emit EpochFinalized(claimEpoch, epoch.root);
            }
            ++cursor;
        }
        _finalizedCursor = cursor;
        _claimEpochId = claimEpoch;
    }

    function _indexOf(TokenTotal[] calldata totals, address token, uint256 chargeIndex)
        private
        pure
        returns (uint256)
    {
        for (uint256 t; t < totals.length; ++t) {
            if (totals[t].token == token) return t;
        }
        revert ChargeTokenNotInTotals(chargeIndex, token);
    }
}
