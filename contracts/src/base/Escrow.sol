// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Roles} from "./Roles.sol";
import {ILicenseFeeSink} from "../interfaces/ILicenseFeeSink.sol";

/// @title Escrow
/// @notice Prepaid balances per payer and token, withdrawals delayed by at least two settled epochs, and
/// upfront license fees held until an epoch attributes them.
abstract contract Escrow is Roles, ILicenseFeeSink {
    using SafeERC20 for IERC20;

    struct Withdrawal {
        uint128 amount;
        uint64 unlockEpoch;
        uint64 requestedAt;
    }

    error ZeroAmount();
    error WithdrawalLocked(
        address payer, address token, uint64 unlockEpoch, uint64 lastEpochId, uint256 unlockAt
    );
    error NoWithdrawalRequested(address payer, address token);
    error NotLicensing(address caller);
    error LicensingAlreadySet(address licensing);

    event Deposited(
        address indexed payer, address indexed token, address from, uint256 amount, uint256 balance
    );
    event WithdrawalRequested(
        address indexed payer, address indexed token, uint256 amount, uint64 unlockEpoch, uint256 unlockAt
    );
    event Withdrawn(address indexed payer, address indexed token, uint256 amount, uint256 balance);
    event LicenseFeeHeld(
        uint256 indexed licenseId, bytes32 indexed assetId, address indexed token, uint256 amount
    );
    event LicensingSet(address indexed licensing);

    /// @notice Epochs that must be settled after a withdrawal request before it can be executed.
    uint64 public constant WITHDRAWAL_DELAY_EPOCHS = 2;
    /// @notice Seconds after which a request unlocks even if the settler stopped settling epochs.
    uint256 public immutable WITHDRAWAL_TIMEOUT;

    /// @dev Id of the last settled epoch (vetoed ones included). Packed with `_paused`.
    uint64 internal _lastEpochId;
    /// @dev Id of the newest settled, not vetoed epoch. Packed with `_paused`.
    uint64 internal _tipEpochId;
    /// @dev Id of the epoch whose root claims are checked against. Packed with `_paused`.
    uint64 internal _claimEpochId;

    /// @notice The only contract that may book license fees; set once by the owner.
    address public licensing;
    /// @notice Prepaid balance of `payer` in `token`, chargeable by settlement.
    mapping(address payer => mapping(address token => uint256)) public escrowOf;
    /// @notice The open withdrawal request of `payer` in `token` (amount 0 = none).
    mapping(address payer => mapping(address token => Withdrawal)) public withdrawalOf;
    /// @notice License fees received and not yet attributed by an epoch.
    mapping(address token => uint256) public heldFeesOf;

    constructor(uint256 withdrawalTimeout) {
        WITHDRAWAL_TIMEOUT = withdrawalTimeout;
    }

    /// @notice Wires the licensing contract that books upfront fees; callable once, by the owner.
    function setLicensing(address licensing_) external onlyRole(Role.Owner) {
        if (licensing != address(0)) revert LicensingAlreadySet(licensing);
        if (licensing_ == address(0)) revert ZeroAddress();
        licensing = licensing_;
        emit LicensingSet(licensing_);
    }

    /// @notice Adds `amount` of `token` (pulled from the caller) to the escrow of `payer`.
    function deposit(address payer, address token, uint256 amount) external whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        if (payer == address(0)) revert ZeroAddress();
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = escrowOf[payer][token] + amount;
        escrowOf[payer][token] = balance;
        emit Deposited(payer, token, msg.sender, amount, balance);
    }

    /// @notice Asks to withdraw `amount` of `token`; replaces any earlier request. The funds stay
    /// chargeable until `WITHDRAWAL_DELAY_EPOCHS` more epochs are settled (or the timeout passes).
    function requestWithdrawal(address token, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint64 unlockEpoch = _lastEpochId + WITHDRAWAL_DELAY_EPOCHS;
        withdrawalOf[msg.sender][token] =
            Withdrawal(SafeCast.toUint128(amount), unlockEpoch, uint64(block.timestamp));
        emit WithdrawalRequested(msg.sender, token, amount, unlockEpoch, block.timestamp + WITHDRAWAL_TIMEOUT);
    }

    /// @notice Executes the caller's unlocked withdrawal request, paying at most the escrow balance left.
    /// @return amount What was paid out.
    function withdraw(address token) external returns (uint256 amount) {
        Withdrawal memory request = withdrawalOf[msg.sender][token];
        if (request.amount == 0) revert NoWithdrawalRequested(msg.sender, token);
        uint256 unlockAt = uint256(request.requestedAt) + WITHDRAWAL_TIMEOUT;
        if (_lastEpochId < request.unlockEpoch && block.timestamp < unlockAt) {
            revert WithdrawalLocked(msg.sender, token, request.unlockEpoch, _lastEpochId, unlockAt);
        }
        delete withdrawalOf[msg.sender][token];
        uint256 balance = escrowOf[msg.sender][token];
        amount = request.amount < balance ? request.amount : balance;
        balance -= amount;
        escrowOf[msg.sender][token] = balance;
        IERC20(token).safeTransfer(msg.sender, amount);
        emit Withdrawn(msg.sender, token, amount, balance);
    }

    /// @inheritdoc ILicenseFeeSink
    function recordLicenseFee(uint256 licenseId, bytes32 assetId, address token, uint256 amount) external {
        if (msg.sender != licensing) revert NotLicensing(msg.sender);
        heldFeesOf[token] += amount;
        emit LicenseFeeHeld(licenseId, assetId, token, amount);
    }
}
