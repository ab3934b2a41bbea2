// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Roles} from "./base/Roles.sol";
import {Escrow} from "./base/Escrow.sol";
import {Settlement} from "./base/Settlement.sol";
import {Attribution} from "./libraries/Attribution.sol";

/// @title EpochLedger
/// @notice Escrow, epoch settlement and pull claims: the one contract that holds the money. Escrow and
/// settlement live in the `Escrow` and `Settlement` bases; this contract adds claims.
/// @dev Claims per token can never exceed what finalized epochs settled for that token, so a bad root
/// can only misdirect settled revenue, never drain escrow, held fees or pending epochs.
contract EpochLedger is Settlement {
    using SafeERC20 for IERC20;

    struct ClaimRequest {
        address account;
        address token;
        uint256 cumulativeAmount;
        bytes32[] proof;
    }

    error InvalidProof(address account, address token, uint256 cumulativeAmount);
    error NothingToClaim(address account, address token, uint256 cumulativeAmount, uint256 alreadyClaimed);
    error ClaimExceedsSettled(address token, uint256 claimed, uint256 amount, uint256 settled);

    event Claimed(
        address indexed account,
        address indexed token,
        uint256 amount,
        uint256 cumulativeAmount,
        uint64 indexed epochId,
        address caller
    );

    /// @notice What `account` has claimed of `token` so far (the cumulative amount of its last claim).
    mapping(address account => mapping(address token => uint256)) public claimedOf;

    constructor(
        address owner_,
        address settler_,
        address guardian_,
        uint64 challengePeriod,
        uint256 withdrawalTimeout
    ) Roles(owner_, settler_, guardian_) Escrow(withdrawalTimeout) Settlement(challengePeriod) {}

    /// @notice Pays `account` the difference between `cumulativeAmount` of `token`, proven against
    /// `claimRoot`, and what it already claimed. Anyone may call; the funds always go to `account`.
    /// @return amount What was paid.
    function claim(address account, address token, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        whenNotPaused
        returns (uint256 amount)
    {
        uint256 already = claimedOf[account][token];
        if (cumulativeAmount <= already) revert NothingToClaim(account, token, cumulativeAmount, already);
        amount = _pay(account, token, cumulativeAmount, already, proof);
    }

    /// @notice Claims several (account, token) pairs in one call, skipping those with nothing left to
    /// claim instead of reverting. A wrong proof still reverts.
    /// @return amounts What each request paid (0 when skipped).
    function claimBatch(ClaimRequest[] calldata requests)
        external
        whenNotPaused
        returns (uint256[] memory amounts)
    {
        amounts = new uint256[](requests.length);
        for (uint256 i; i < requests.length; ++i) {
            ClaimRequest calldata r = requests[i];
            uint256 already = claimedOf[r.account][r.token];
            if (r.cumulativeAmount <= already) continue;
            amounts[i] = _pay(r.account, r.token, r.cumulativeAmount, already, r.proof);
        }
    }

    function _pay(
        address account,
        address token,
        uint256 cumulativeAmount,
        uint256 already,
        bytes32[] calldata proof
    ) private returns (uint256 amount) {
        bytes32 leaf = Attribution.accrualLeaf(account, token, cumulativeAmount);
        if (!MerkleProof.verifyCalldata(proof, claimRoot, leaf)) {
            revert InvalidProof(account, token, cumulativeAmount);
        }
        amount = cumulativeAmount - already;
        TokenBook memory book = bookOf[token];
        if (book.claimed + amount > book.settled) {
            revert ClaimExceedsSettled(token, book.claimed, amount, book.settled);
        }
        claimedOf[account][token] = cumulativeAmount;
        // Cannot overflow: claimed + amount <= settled, a uint128.
        bookOf[token].claimed = uint128(book.claimed + amount);
        IERC20(token).safeTransfer(account, amount);
        emit Claimed(account, token, amount, cumulativeAmount, _claimEpochId, msg.sender);
    }
}
