// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Vm.sol";
import {Deploy} from "../script/Deploy.s.sol";
import {AssetRegistry} from "../src/AssetRegistry.sol";
import {EpochLedger} from "../src/EpochLedger.sol";
import {Licensing} from "../src/Licensing.sol";
import {MockERC20} from "../src/mocks/MockERC20.sol";
import {Roles} from "../src/base/Roles.sol";

/// @notice Runs the deploy script against forge's chain 31337 with the CREATE2 factory in place and
/// checks the wiring, the roles and the deployments file.
contract DeployTest is Test {
    address internal constant FACTORY = 0x4e59b44847b379578588920cA78FbF26c0B4956C;
    /// @dev Runtime code of Arachnid's deterministic deployment proxy.
    bytes internal constant FACTORY_CODE =
        hex"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";

    address internal constant OWNER = address(0x0A);
    address internal constant SETTLER = address(0x5E);
    address internal constant GUARDIAN = address(0x6A);

    function test_run_deploysWiresAndWritesDeploymentsFile() public {
        vm.etch(FACTORY, FACTORY_CODE);
        // Never touch the real contracts/deployments/31337.json a running dev stack uses.
        string memory dir = string.concat(vm.projectRoot(), "/contracts/cache/deploy-test");
        vm.createDir(dir, true);
        string memory path = string.concat(dir, "/deployment.json");
        vm.setEnv("DEPLOYMENTS_FILE", path);
        vm.setEnv("OWNER", vm.toString(OWNER));
        vm.setEnv("SETTLER", vm.toString(SETTLER));
        vm.setEnv("GUARDIAN", vm.toString(GUARDIAN));
        vm.setEnv("CHALLENGE_PERIOD", "60");
        Deploy script = new Deploy();
        script.run();
        string memory json = vm.readFile(path);
        vm.assertEq(vm.parseJsonUint(json, ".chainId"), block.chainid);
        AssetRegistry registry = AssetRegistry(vm.parseJsonAddress(json, ".contracts.AssetRegistry.address"));
        EpochLedger ledger = EpochLedger(vm.parseJsonAddress(json, ".contracts.EpochLedger.address"));
        Licensing licensing = Licensing(vm.parseJsonAddress(json, ".contracts.Licensing.address"));
        MockERC20 token = MockERC20(vm.parseJsonAddress(json, ".contracts.MockERC20.address"));
        vm.assertEq(address(registry.licensing()), address(licensing));
        vm.assertEq(ledger.licensing(), address(licensing));
        vm.assertEq(address(licensing.REGISTRY()), address(registry));
        vm.assertEq(address(licensing.FEE_SINK()), address(ledger));
        // The broadcaster keeps ownership until OWNER accepts the two-step transfer.
        vm.assertEq(ledger.pendingHolderOf(Roles.Role.Owner), OWNER);
        vm.assertEq(registry.pendingOwner(), OWNER);
        vm.prank(OWNER);
        ledger.acceptRole(Roles.Role.Owner);
        vm.prank(OWNER);
        registry.acceptOwnership();
        vm.assertEq(ledger.holderOf(Roles.Role.Owner), OWNER);
        vm.assertEq(registry.owner(), OWNER);
        vm.assertEq(ledger.holderOf(Roles.Role.Settler), SETTLER);
        vm.assertEq(ledger.holderOf(Roles.Role.Guardian), GUARDIAN);
        vm.assertEq(ledger.CHALLENGE_PERIOD(), 60);
        vm.assertEq(token.decimals(), 6);

        // A second run reuses every contract at its CREATE2 address.
        script.run();
        string memory again = vm.readFile(path);
        vm.assertEq(vm.parseJsonAddress(again, ".contracts.EpochLedger.address"), address(ledger));
        vm.assertEq(vm.parseJsonUint(again, ".contracts.EpochLedger.startBlock"), 0);
    }
}
