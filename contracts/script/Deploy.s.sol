// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../test/utils/Vm.sol";
import {AssetRegistry} from "../src/AssetRegistry.sol";
import {EpochLedger} from "../src/EpochLedger.sol";
import {Licensing} from "../src/Licensing.sol";
import {MockERC20} from "../src/mocks/MockERC20.sol";
import {Roles} from "../src/base/Roles.sol";
import {ILicenseFeeSink} from "../src/interfaces/ILicenseFeeSink.sol";
import {ILicenses} from "../src/interfaces/ILicenses.sol";

/// @notice Deploys every contract through the canonical CREATE2 deployer, so the same deployer and
/// configuration give the same addresses on every EVM chain, wires them, hands the roles to the
/// configured accounts, and writes contracts/deployments/<chainId>.json.
/// Run: forge script contracts/script/Deploy.s.sol --rpc-url $RPC --broadcast --private-key $KEY
/// Env (all optional): OWNER, SETTLER, GUARDIAN (default: the broadcaster), CHALLENGE_PERIOD
/// (seconds; default 60 on chain 31337, else 86400), WITHDRAWAL_TIMEOUT (seconds; default 7 days),
/// DEPLOYMENTS_FILE (default contracts/deployments/<chainId>.json).
/// Re-running is idempotent: contracts already at their address are reused (their startBlock is 0).
contract Deploy {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bool public IS_SCRIPT = true;

    /// @dev Arachnid's deterministic deployment proxy, predeployed on anvil and most chains.
    address internal constant CREATE2_FACTORY = 0x4e59b44847b379578588920cA78FbF26c0B4956C;
    bytes32 internal constant SALT = keccak256("tributary.v1");
    uint256 internal constant LOCAL_CHAIN_ID = 31337;

    struct Deployed {
        string name;
        address at;
        uint256 startBlock;
    }

    Deployed[] internal _deployed;

    function run() external {
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();
        address owner = vm.envOr("OWNER", deployer);
        address settler = vm.envOr("SETTLER", deployer);
        address guardian = vm.envOr("GUARDIAN", deployer);
        bool local = block.chainid == LOCAL_CHAIN_ID;
        uint64 challenge = uint64(vm.envOr("CHALLENGE_PERIOD", local ? uint256(60) : uint256(1 days)));
        uint256 timeout = vm.envOr("WITHDRAWAL_TIMEOUT", uint256(7 days));

        // The deployer owns everything until wiring is done, then hands ownership over (two-step).
        AssetRegistry registry = AssetRegistry(
            _deploy("AssetRegistry", abi.encodePacked(type(AssetRegistry).creationCode, abi.encode(deployer)))
        );
        EpochLedger ledger = EpochLedger(
            _deploy(
                "EpochLedger",
                abi.encodePacked(
                    type(EpochLedger).creationCode,
                    abi.encode(deployer, settler, guardian, challenge, timeout)
                )
            )
        );
        Licensing licensing = Licensing(
            _deploy(
                "Licensing",
                abi.encodePacked(
                    type(Licensing).creationCode, abi.encode(registry, ILicenseFeeSink(address(ledger)))
                )
            )
        );
        if (address(registry.licensing()) == address(0)) {
            registry.setLicensing(ILicenses(address(licensing)));
        }
        if (ledger.licensing() == address(0)) ledger.setLicensing(address(licensing));
        if (owner != deployer) {
            if (registry.owner() == deployer) registry.transferOwnership(owner);
            if (ledger.holderOf(Roles.Role.Owner) == deployer) ledger.proposeRole(Roles.Role.Owner, owner);
        }
        if (local) {
            _deploy(
                "MockERC20",
                abi.encodePacked(type(MockERC20).creationCode, abi.encode("Tributary USD", "tUSD", uint8(6)))
            );
        }
        vm.stopBroadcast();
        _write();
    }

    /// @dev CREATE2 through the factory, or reuse the contract already at the predicted address.
    function _deploy(string memory name, bytes memory initCode) internal returns (address at) {
        at = address(
            uint160(
                uint256(keccak256(abi.encodePacked(bytes1(0xff), CREATE2_FACTORY, SALT, keccak256(initCode))))
            )
        );
        uint256 startBlock;
        if (at.code.length == 0) {
            (bool ok,) = CREATE2_FACTORY.call(abi.encodePacked(SALT, initCode));
            require(ok && at.code.length > 0, string.concat("CREATE2 deployment failed: ", name));
            startBlock = block.number;
        }
        _deployed.push(Deployed(name, at, startBlock));
    }

    function _write() internal {
        string memory entries;
        uint256 firstBlock = block.number;
        for (uint256 i; i < _deployed.length; ++i) {
            Deployed memory d = _deployed[i];
            if (d.startBlock < firstBlock) firstBlock = d.startBlock;
            entries = string.concat(
                entries,
                '    "',
                d.name,
                '": { "address": "',
                vm.toString(d.at),
                '", "startBlock": ',
                vm.toString(d.startBlock),
                ', "abi": "',
                d.name,
                '" }',
                i + 1 == _deployed.length ? "\n" : ",\n"
            );
        }
        string memory json = string.concat(
            "{\n",
            '  "chainId": ',
            vm.toString(block.chainid),
            ",\n",
            '  "startBlock": ',
            vm.toString(firstBlock),
            ",\n",
            '  "contracts": {\n',
            entries,
            "  }\n}\n"
        );
        string memory dir =
            vm.envOr("DEPLOYMENTS_DIR", string.concat(vm.projectRoot(), "/contracts/deployments"));
        vm.createDir(dir, true);
        string memory path =
            vm.envOr("DEPLOYMENTS_FILE", string.concat(dir, "/", vm.toString(block.chainid), ".json"));
        vm.writeFile(path, json);
    }
}
