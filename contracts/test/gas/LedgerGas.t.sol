// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Settlement} from "../../src/base/Settlement.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {MerkleBuilder} from "../utils/MerkleBuilder.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {EpochLedger} from "../../src/EpochLedger.sol";
import {Attribution} from "../../src/libraries/Attribution.sol";

/// @notice Gas measurements recorded with forge's gas-snapshot cheatcodes into contracts/snapshots/
/// (see docs/gas.md). A claim is measured as a transaction would be charged: execution of the call
/// plus the 21,000 base and the calldata, so it compares with Uniswap's merkle-distributor 78.6k.
contract LedgerGasTest is BaseTest {
    uint256 internal constant TX_BASE = 21_000;
    /// @dev A 100,000-leaf StandardMerkleTree has proofs of 16 or 17 nodes.
    uint256 internal constant DEPTH_100K = 17;

    /// @dev Claims against a root whose tree has 2^17 leaves: the proof is 17 random siblings.
    function _rootWithDeepProof(address account, uint256 cumulative)
        internal
        view
        returns (bytes32 root, bytes32[] memory proof)
    {
        proof = new bytes32[](DEPTH_100K);
        root = Attribution.accrualLeaf(account, address(token), cumulative);
        for (uint256 i; i < DEPTH_100K; ++i) {
            proof[i] = keccak256(abi.encode("sibling", i, cumulative));
            root = Hashes.commutativeKeccak256(root, proof[i]);
        }
    }

    function _finalizeEpoch(uint64 epochId, bytes32 root, uint256 amount) internal {
        _deposit(alice, amount);
        _settle(epochId, root, _charges1(alice, amount), _totals1(amount, 0));
        vm.warp(block.timestamp + CHALLENGE);
        ledger.finalize();
    }

    function _claimTxGas(string memory name, address account, uint256 cumulative, bytes32[] memory proof)
        internal
        returns (uint256 txGas)
    {
        bytes memory data = abi.encodeCall(ledger.claim, (account, address(token), cumulative, proof));
        _coolAll(account);
        (bool ok,) = address(ledger).call(data);
        require(ok, "claim failed");
        uint256 execution = vm.snapshotGasLastCall("claim", string.concat(name, "-execution"));
        txGas = TX_BASE + _calldataGas(data) + execution;
        vm.snapshotValue("claim", string.concat(name, "-tx"), txGas);
    }

    /// @dev The comparable case to Uniswap's average (their claimants already hold the token and share
    /// claimed-bitmap words): the account claimed before and holds a balance.
    function test_gas_claim_repeatClaimant_100kTree() public {
        (bytes32 root, bytes32[] memory proof) = _rootWithDeepProof(bob, 1e6);
        _finalizeEpoch(1, root, 1e6);
        ledger.claim(bob, address(token), 1e6, proof);
        (root, proof) = _rootWithDeepProof(bob, 2e6);
        _finalizeEpoch(2, root, 1e6);
        uint256 txGas = _claimTxGas("repeat-claimant-depth17", bob, 2e6, proof);
        vm.assertLt(txGas, 78_600, "claim above the merkle-distributor average");
    }

    /// @dev Worst case: first claim ever of an account with no token balance (two fresh storage slots).
    function test_gas_claim_firstClaimant_100kTree() public {
        (bytes32 root, bytes32[] memory proof) = _rootWithDeepProof(bob, 1e6);
        _finalizeEpoch(1, root, 1e6);
        _claimTxGas("first-claimant-depth17", bob, 1e6, proof);
    }

    function test_gas_settleEpoch_1payer() public {
        _settleWithPayers("settleEpoch", "payers-1", 1, keccak256("root"));
    }

    function test_gas_settleEpoch_10payers() public {
        _settleWithPayers("settleEpoch", "payers-10", 10, keccak256("root"));
    }

    function test_gas_settleEpoch_100payers() public {
        _settleWithPayers("settleEpoch", "payers-100", 100, keccak256("root"));
    }

    /// @dev Same 10 payers as `test_gas_settleEpoch_10payers`, with the root of a real tree of 100,000
    /// recipients: the snapshot shows the same gas as with a 10-recipient tree.
    function test_gas_settleEpoch_10payers_100000recipients() public {
        vm.pauseGasMetering();
        bytes32 root = _rootOfRecipients(100_000);
        vm.resumeGasMetering();
        _settleWithPayers("settleEpoch", "payers-10-recipients-100000", 10, root);
    }

    function test_gas_settleEpoch_10payers_10000recipients() public {
        vm.pauseGasMetering();
        bytes32 root = _rootOfRecipients(10_000);
        vm.resumeGasMetering();
        _settleWithPayers("settleEpoch", "payers-10-recipients-10000", 10, root);
    }

    function test_gas_settleEpoch_10payers_10recipients() public {
        _settleWithPayers("settleEpoch", "payers-10-recipients-10", 10, _rootOfRecipients(10));
    }

    function _settleWithPayers(string memory group, string memory name, uint256 n, bytes32 root)
        internal
        returns (uint256 gasUsed)
    {
        Settlement.Charge[] memory charges = new Settlement.Charge[](n);
        for (uint256 i; i < n; ++i) {
            address payer = address(uint160(0x10000 + i));
            _deposit(payer, 1000);
            charges[i] = Settlement.Charge(payer, address(token), 400);
        }
        _coolAll(settler);
        vm.prank(settler);
        ledger.settleEpoch(
            1, root, charges, _totals1(400 * n, 0), keccak256("usage"), "r2://manifests/1.json"
        );
        gasUsed = vm.snapshotGasLastCall(group, name);
    }

    function _rootOfRecipients(uint256 n) internal view returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            leaves[i] = Attribution.accrualLeaf(address(uint160(0x100000 + i)), address(token), i + 1);
        }
        return MerkleBuilder.build(leaves)[0];
    }

    /// @dev Every test runs as one transaction; make the accounts a real transaction would touch for the
    /// first time cold again so measured calls pay cold access like on chain.
    function _coolAll(address account) internal {
        vm.cool(address(ledger));
        vm.cool(address(token));
        vm.cool(account);
    }

    function _calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }
}
