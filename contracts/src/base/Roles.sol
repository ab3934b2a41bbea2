// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Roles
/// @notice Owner, settler and guardian roles, each changed in two steps (propose, then accept by the
/// new holder), plus a pause flag the guardian or owner can raise and only the owner can lower.
/// @dev The pause flag shares a storage slot with the epoch ids declared next in `Escrow`, so a claim
/// reads the flag and its epoch id with one cold read.
abstract contract Roles {
    enum Role {
        Owner,
        Settler,
        Guardian
    }

    error Unauthorized(address caller, Role required);
    error NotPendingHolder(address caller, Role role, address pending);
    error ZeroAddress();
    error Paused();
    error NotPaused();

    event RoleTransferStarted(Role indexed role, address indexed current, address indexed pending);
    event RoleTransferred(Role indexed role, address indexed previous, address indexed current);
    event PauseChanged(bool paused, address indexed by);

    mapping(Role role => address holder) private _holders;
    mapping(Role role => address pending) private _pending;

    /// @dev Packed with the epoch ids of `Escrow` to save a cold read per claim.
    bool internal _paused;

    constructor(address owner_, address settler_, address guardian_) {
        if (owner_ == address(0) || settler_ == address(0) || guardian_ == address(0)) revert ZeroAddress();
        _set(Role.Owner, owner_);
        _set(Role.Settler, settler_);
        _set(Role.Guardian, guardian_);
    }

    modifier onlyRole(Role role) {
        if (msg.sender != _holders[role]) revert Unauthorized(msg.sender, role);
        _;
    }

    modifier whenNotPaused() {
        if (_paused) revert Paused();
        _;
    }

    /// @notice Starts handing `role` to `pending`; nothing changes until `pending` calls `acceptRole`.
    /// @dev Owner only. Proposing the zero address cancels a pending transfer.
    function proposeRole(Role role, address pending) external onlyRole(Role.Owner) {
        _pending[role] = pending;
        emit RoleTransferStarted(role, _holders[role], pending);
    }

    /// @notice Completes a transfer of `role` started by `proposeRole`; callable by the proposed holder.
    function acceptRole(Role role) external {
        address pending = _pending[role];
        if (msg.sender != pending || pending == address(0)) {
            revert NotPendingHolder(msg.sender, role, pending);
        }
        delete _pending[role];
        _set(role, pending);
    }

    /// @notice Stops deposits, settlement and claims. Callable by the guardian or the owner.
    function pause() external {
        if (msg.sender != _holders[Role.Guardian] && msg.sender != _holders[Role.Owner]) {
            revert Unauthorized(msg.sender, Role.Guardian);
        }
        if (_paused) revert Paused();
        _paused = true;
        emit PauseChanged(true, msg.sender);
    }

    /// @notice Lifts a pause. Owner only.
    function unpause() external onlyRole(Role.Owner) {
        if (!_paused) revert NotPaused();
        _paused = false;
        emit PauseChanged(false, msg.sender);
    }

    /// @notice The current holder of `role`.
    function holderOf(Role role) external view returns (address) {
        return _holders[role];
    }

    /// @notice The account `role` is being handed to, or zero.
    function pendingHolderOf(Role role) external view returns (address) {
        return _pending[role];
    }

    /// @notice Whether deposits, settlement and claims are stopped.
    function paused() external view returns (bool) {
        return _paused;
    }

    function _set(Role role, address holder) private {
        address previous = _holders[role];
        _holders[role] = holder;
        emit RoleTransferred(role, previous, holder);
    }
}
