// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Vm.sol";
import {MockERC20} from "../src/mocks/MockERC20.sol";

contract MockERC20Test is Test {
    function test_mint_anyoneMintsAnyAmount() public {
        MockERC20 token = new MockERC20("Tributary USD", "tUSD", 6);
        vm.prank(address(0xB0B));
        token.mint(address(0xA11CE), 5e6);
        vm.assertEq(token.balanceOf(address(0xA11CE)), 5e6);
        vm.assertEq(token.totalSupply(), 5e6);
        vm.assertEq(token.decimals(), 6);
        vm.assertEq(token.symbol(), "tUSD");
    }
}
