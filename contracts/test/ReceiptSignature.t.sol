// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {Test} from "./utils/Vm.sol";

/// @notice The gateway's usage receipts (ECDSA P-256 over SHA-256 of the payload, low s) verify on-chain, so a payer
/// can use one as evidence in a contract. The fixture is signed by the worker's own code:
/// `node scripts/gen-receipt-fixture.ts`. On a chain with the P256VERIFY precompile (EIP-7951) OpenZeppelin uses it;
/// here (cancun) it falls back to its Solidity implementation, with the same answer.
contract ReceiptSignatureTest is Test {
    /// @dev P-256's group order.
    uint256 internal constant N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551;

    string internal json;
    bytes32 internal qx;
    bytes32 internal qy;

    function setUp() public {
        json = vm.readFile(string.concat(vm.projectRoot(), "/contracts/test/fixtures/receipts.json"));
        qx = vm.parseJsonBytes32(json, ".x");
        qy = vm.parseJsonBytes32(json, ".y");
    }

    function _receipt(uint256 i) internal view returns (bytes memory payload, bytes32 r, bytes32 s) {
        string memory at = string.concat(".receipts[", vm.toString(i), "]");
        payload = bytes(vm.parseJsonString(json, string.concat(at, ".payload")));
        r = vm.parseJsonBytes32(json, string.concat(at, ".r"));
        s = vm.parseJsonBytes32(json, string.concat(at, ".s"));
    }

    function test_gatewayReceiptsVerify() public view {
        for (uint256 i = 0; i < 3; i++) {
            (bytes memory payload, bytes32 r, bytes32 s) = _receipt(i);
            vm.assertTrue(P256.verify(sha256(payload), r, s, qx, qy), "receipt signature");
        }
    }

    function test_alteredReceiptDoesNotVerify() public view {
        (bytes memory payload, bytes32 r, bytes32 s) = _receipt(0);
        // The last byte of the payload ('}') changed: another message.
        payload[payload.length - 1] = 0x20;
        vm.assertFalse(P256.verify(sha256(payload), r, s, qx, qy));
        // Another key (x and y swapped is not even on the curve) and another receipt's signature fail too.
        (bytes memory payload0,,) = _receipt(0);
        (, bytes32 r1, bytes32 s1) = _receipt(1);
        vm.assertFalse(P256.verify(sha256(payload0), r1, s1, qx, qy));
        vm.assertFalse(P256.verify(sha256(payload0), r, s, qy, qx));
    }

    function test_highSTwinIsRefused() public view {
        // (r, n - s) is the same signature mathematically; the gateway signs with low s so that only one form is
        // accepted, as P256.verify requires.
        (bytes memory payload, bytes32 r, bytes32 s) = _receipt(0);
        vm.assertFalse(P256.verify(sha256(payload), r, bytes32(N - uint256(s)), qx, qy));
    }
}
