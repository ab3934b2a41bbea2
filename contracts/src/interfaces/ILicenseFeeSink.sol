// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Where the licensing contract books upfront license fees, held for attribution next epoch.
interface ILicenseFeeSink {
    /// @notice Books `amount` of `token`, already transferred to the sink, as a held license fee.
    function recordLicenseFee(uint256 licenseId, bytes32 assetId, address token, uint256 amount) external;
}
