// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What the registry asks the licensing contract before linking a derivative.
interface ILicenses {
    /// @notice Whether `licenseId` is an unexpired license on `assetId`, held by `holder`, whose terms
    /// allow derivatives.
    function allowsDerivative(uint256 licenseId, bytes32 assetId, address holder) external view returns (bool);
}
