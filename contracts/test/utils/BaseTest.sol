// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Settlement} from "../../src/base/Settlement.sol";
import {Test} from "./Vm.sol";
import {MerkleBuilder} from "./MerkleBuilder.sol";
import {AssetRegistry} from "../../src/AssetRegistry.sol";
import {EpochLedger} from "../../src/EpochLedger.sol";
import {Licensing} from "../../src/Licensing.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {ILicenses} from "../../src/interfaces/ILicenses.sol";
import {ILicenseFeeSink} from "../../src/interfaces/ILicenseFeeSink.sol";
import {Attribution} from "../../src/libraries/Attribution.sol";

/// @notice The deployed system and helpers shared by the unit tests.
abstract contract BaseTest is Test {
    uint64 internal constant CHALLENGE = 1 days;
    uint256 internal constant TIMEOUT = 30 days;

    address internal owner = address(0x0A);
    address internal settler = address(0x5E);
    address internal guardian = address(0x6A);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA401);

    AssetRegistry internal registry;
    EpochLedger internal ledger;
    Licensing internal licensing;
    MockERC20 internal token;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        registry = new AssetRegistry(owner);
        ledger = new EpochLedger(owner, settler, guardian, CHALLENGE, TIMEOUT);
        licensing = new Licensing(registry, ILicenseFeeSink(address(ledger)));
        vm.startPrank(owner);
        registry.setLicensing(ILicenses(address(licensing)));
        ledger.setLicensing(address(licensing));
        vm.stopPrank();
        token = new MockERC20("Test USD", "tUSD", 6);
    }

    function _deposit(address payer, uint256 amount) internal {
        token.mint(payer, amount);
        vm.startPrank(payer);
        token.approve(address(ledger), amount);
        ledger.deposit(payer, address(token), amount);
        vm.stopPrank();
    }

    function _charges1(address payer, uint256 amount) internal view returns (Settlement.Charge[] memory c) {
        c = new Settlement.Charge[](1);
        c[0] = Settlement.Charge(payer, address(token), amount);
    }

    function _totals1(uint256 charged, uint256 fees)
        internal
        view
        returns (Settlement.TokenTotal[] memory t)
    {
        t = new Settlement.TokenTotal[](1);
        t[0] = Settlement.TokenTotal(address(token), charged, fees);
    }

    function _settle(
        uint64 epochId,
        bytes32 root,
        Settlement.Charge[] memory c,
        Settlement.TokenTotal[] memory t
    ) internal {
        vm.prank(settler);
        ledger.settleEpoch(epochId, root, c, t, keccak256("usage"), "r2://manifest");
    }

    /// @dev A two-leaf tree paying `a` and `b` cumulative amounts of `token`; returns root and tree.
    function _tree2(address a, uint256 amountA, address b, uint256 amountB)
        internal
        view
        returns (bytes32[] memory tree)
    {
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = Attribution.accrualLeaf(a, address(token), amountA);
        leaves[1] = Attribution.accrualLeaf(b, address(token), amountB);
        tree = MerkleBuilder.build(leaves);
    }

    function _proof(bytes32[] memory tree, address account, uint256 cumulative)
        internal
        view
        returns (bytes32[] memory)
    {
        return MerkleBuilder.proof(tree, Attribution.accrualLeaf(account, address(token), cumulative));
    }

    /// @dev Deposits for alice, settles epoch `epochId` paying bob 600 and carol 400 of alice's 1000, and
    /// finalizes it. Returns the tree.
    function _settledEpochPayingBobAndCarol() internal returns (bytes32[] memory tree) {
        _deposit(alice, 1000);
        tree = _tree2(bob, 600, carol, 400);
        _settle(1, tree[0], _charges1(alice, 1000), _totals1(1000, 0));
        vm.warp(block.timestamp + CHALLENGE);
        ledger.finalize();
    }
}
