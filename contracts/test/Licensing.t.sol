// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BaseTest} from "./utils/BaseTest.sol";
import {AssetRegistry} from "../src/AssetRegistry.sol";
import {Licensing} from "../src/Licensing.sol";
import {Escrow} from "../src/base/Escrow.sol";

contract LicensingTest is BaseTest {
    event TermsPublished(
        uint256 indexed termsId,
        bytes32 indexed assetId,
        address indexed token,
        uint128 pricePerMTokIn,
        uint128 pricePerMTokOut,
        uint128 upfrontFee,
        uint64 duration,
        bool commercial,
        bool derivatives,
        bool transferable
    );
    event TermsActiveSet(uint256 indexed termsId, bool active);
    event LicenseMinted(
        uint256 indexed licenseId,
        uint256 indexed termsId,
        bytes32 indexed assetId,
        address holder,
        address payer,
        address token,
        uint256 fee,
        uint64 expiresAt
    );
    event LicenseFeeHeld(
        uint256 indexed licenseId, bytes32 indexed assetId, address indexed token, uint256 amount
    );

    bytes32 internal model;

    function setUp() public override {
        super.setUp();
        vm.prank(alice);
        model = registry.register("m", AssetRegistry.Kind.Model, 0, "");
    }

    function _terms(uint128 fee, uint64 duration, bool transferable)
        internal
        view
        returns (Licensing.Terms memory)
    {
        return Licensing.Terms({
            assetId: model,
            token: address(token),
            pricePerMTokIn: 150_000,
            pricePerMTokOut: 600_000,
            upfrontFee: fee,
            duration: duration,
            commercial: true,
            derivatives: true,
            transferable: transferable,
            active: false
        });
    }

    function _publish(uint128 fee, uint64 duration, bool transferable) internal returns (uint256 termsId) {
        vm.prank(alice);
        termsId = licensing.publishTerms(_terms(fee, duration, transferable));
    }

    function test_publishTerms_storesActiveTermsWithSequentialIds() public {
        vm.expectEmit();
        emit TermsPublished(1, model, address(token), 150_000, 600_000, 5, 30 days, true, true, false);
        uint256 first = _publish(5, 30 days, false);
        uint256 second = _publish(0, 0, true);
        vm.assertEq(first, 1);
        vm.assertEq(second, 2);
        Licensing.Terms memory stored = licensing.termsOf(first);
        vm.assertTrue(stored.active);
        vm.assertEq(stored.pricePerMTokOut, 600_000);
    }

    function test_publishTerms_RevertWhen_notAssetOwnerOrZeroToken() public {
        Licensing.Terms memory terms = _terms(0, 0, false);
        vm.expectRevert(abi.encodeWithSelector(Licensing.NotAssetOwner.selector, model, bob));
        vm.prank(bob);
        licensing.publishTerms(terms);
        terms.token = address(0);
        vm.expectRevert(Licensing.ZeroPaymentToken.selector);
        vm.prank(alice);
        licensing.publishTerms(terms);
    }

    function test_setTermsActive_blocksNewLicenses() public {
        uint256 termsId = _publish(0, 0, false);
        vm.expectEmit();
        emit TermsActiveSet(termsId, false);
        vm.prank(alice);
        licensing.setTermsActive(termsId, false);
        vm.expectRevert(abi.encodeWithSelector(Licensing.TermsInactive.selector, termsId));
        licensing.mintLicense(termsId, bob);
        vm.expectRevert(abi.encodeWithSelector(Licensing.NotAssetOwner.selector, model, bob));
        vm.prank(bob);
        licensing.setTermsActive(termsId, true);
        vm.expectRevert(abi.encodeWithSelector(Licensing.UnknownTerms.selector, 99));
        licensing.setTermsActive(99, true);
    }

    function test_mintLicense_paysFeeIntoLedgerHeldFees() public {
        uint256 termsId = _publish(250, 30 days, false);
        token.mint(bob, 250);
        vm.prank(bob);
        token.approve(address(licensing), 250);
        uint64 expiresAt = uint64(block.timestamp + 30 days);
        vm.expectEmit(address(ledger));
        emit LicenseFeeHeld(1, model, address(token), 250);
        vm.expectEmit(address(licensing));
        emit LicenseMinted(1, termsId, model, carol, bob, address(token), 250, expiresAt);
        vm.prank(bob);
        uint256 licenseId = licensing.mintLicense(termsId, carol);
        vm.assertEq(licensing.ownerOf(licenseId), carol);
        vm.assertEq(token.balanceOf(address(ledger)), 250);
        vm.assertEq(ledger.heldFeesOf(address(token)), 250);
        vm.assertEq(licensing.licenseOf(licenseId).expiresAt, expiresAt);
        vm.assertTrue(licensing.isValid(licenseId));
        vm.warp(expiresAt);
        vm.assertFalse(licensing.isValid(licenseId));
    }

    function test_mintLicense_perpetualWhenDurationZero() public {
        uint256 licenseId = licensing.mintLicense(_publish(0, 0, false), bob);
        vm.assertEq(licensing.licenseOf(licenseId).expiresAt, type(uint64).max);
        vm.assertTrue(licensing.allowsDerivative(licenseId, model, bob));
        vm.assertFalse(licensing.allowsDerivative(licenseId, bytes32("other"), bob));
        vm.assertFalse(licensing.isValid(99));
    }

    function test_mintLicense_RevertWhen_unknownTerms() public {
        vm.expectRevert(abi.encodeWithSelector(Licensing.UnknownTerms.selector, 7));
        licensing.mintLicense(7, bob);
    }

    function test_recordLicenseFee_RevertWhen_notLicensing() public {
        vm.expectRevert(abi.encodeWithSelector(Escrow.NotLicensing.selector, bob));
        vm.prank(bob);
        ledger.recordLicenseFee(1, model, address(token), 1);
    }

    function test_transfer_RevertWhen_termsNotTransferable() public {
        uint256 licenseId = licensing.mintLicense(_publish(0, 0, false), bob);
        vm.expectRevert(abi.encodeWithSelector(Licensing.LicenseNotTransferable.selector, licenseId));
        vm.prank(bob);
        licensing.transferFrom(bob, carol, licenseId);
    }

    function test_transfer_movesTransferableLicenseAndDerivativeRight() public {
        uint256 licenseId = licensing.mintLicense(_publish(0, 0, true), bob);
        vm.prank(bob);
        licensing.transferFrom(bob, carol, licenseId);
        vm.assertEq(licensing.ownerOf(licenseId), carol);
        vm.assertFalse(licensing.allowsDerivative(licenseId, model, bob));
        vm.assertTrue(licensing.allowsDerivative(licenseId, model, carol));
    }
}
