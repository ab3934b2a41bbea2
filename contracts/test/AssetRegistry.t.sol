// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Vm.sol";
import {AssetRegistry} from "../src/AssetRegistry.sol";

contract AssetRegistryTest is Test {
    event AssetRegistered(
        bytes32 indexed assetId,
        address indexed owner,
        AssetRegistry.Kind kind,
        bytes32 contentHash,
        string metadataURI
    );

    AssetRegistry internal registry;
    address internal alice = address(0xA11CE);

    function setUp() public {
        registry = new AssetRegistry();
    }

    function test_register_storesAssetUnderPrecomputedId() public {
        bytes32 expected = registry.assetIdOf(alice, "llama-ft");
        vm.expectEmit();
        emit AssetRegistered(expected, alice, AssetRegistry.Kind.Model, bytes32(uint256(7)), "ipfs://m");
        vm.prank(alice);
        bytes32 id = registry.register("llama-ft", AssetRegistry.Kind.Model, bytes32(uint256(7)), "ipfs://m");
        vm.assertEq(id, expected);
        AssetRegistry.Asset memory asset = registry.assetOf(id);
        vm.assertEq(asset.owner, alice);
        vm.assertEq(asset.metadataURI, "ipfs://m");
    }

    function test_register_RevertWhen_idTaken() public {
        vm.startPrank(alice);
        bytes32 id = registry.register("x", AssetRegistry.Kind.Dataset, 0, "");
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.AssetAlreadyRegistered.selector, id));
        registry.register("x", AssetRegistry.Kind.Dataset, 0, "");
    }

    function testFuzz_assetIdOf_differsPerOwner(address a, address b, bytes32 salt) public view {
        vm.assume(a != b);
        vm.assertTrue(registry.assetIdOf(a, salt) != registry.assetIdOf(b, salt));
    }
}
