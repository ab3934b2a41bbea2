// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../test/utils/Vm.sol";
import {AssetRegistry} from "../src/AssetRegistry.sol";

/// @notice Deploys every contract through the CREATE2 deployer, so addresses are the same on every
/// EVM chain, and writes contracts/deployments/<chainId>.json for the workers, indexer and scripts.
/// Run: forge script contracts/script/Deploy.s.sol --rpc-url $RPC --broadcast --private-key $KEY
contract Deploy {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bool public IS_SCRIPT = true;

    bytes32 internal constant SALT = keccak256("tributary.v1");

    function run() external {
        uint256 startBlock = block.number;
        vm.startBroadcast();
        AssetRegistry registry = new AssetRegistry{salt: SALT}();
        vm.stopBroadcast();

        string memory json = string.concat(
            "{\n",
            '  "chainId": ',
            vm.toString(block.chainid),
            ",\n",
            '  "startBlock": ',
            vm.toString(startBlock),
            ",\n",
            '  "contracts": {\n',
            _entry("AssetRegistry", address(registry), true),
            "  }\n}\n"
        );
        string memory dir =
            vm.envOr("DEPLOYMENTS_DIR", string.concat(vm.projectRoot(), "/contracts/deployments"));
        vm.writeFile(string.concat(dir, "/", vm.toString(block.chainid), ".json"), json);
    }

    function _entry(string memory name, address at, bool last) internal pure returns (string memory) {
        return string.concat('    "', name, '": { "address": "', vm.toString(at), '" }', last ? "\n" : ",\n");
    }
}
