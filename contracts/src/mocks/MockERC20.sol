// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockERC20
/// @notice A freely mintable payment token for local chains and tests only. The deploy script deploys
/// it only on chain 31337 (anvil).
contract MockERC20 is ERC20 {
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    /// @notice Mints `amount` to `to`; anyone may call. Never deploy outside local chains.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Token decimals (6 mimics USDC).
    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}
