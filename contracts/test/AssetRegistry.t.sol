// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BaseTest} from "./utils/BaseTest.sol";
import {AssetRegistry} from "../src/AssetRegistry.sol";
import {ContributorSplits} from "../src/base/ContributorSplits.sol";
import {Licensing} from "../src/Licensing.sol";
import {ILicenses} from "../src/interfaces/ILicenses.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract AssetRegistryTest is BaseTest {
    event AssetRegistered(
        bytes32 indexed assetId,
        address indexed owner,
        AssetRegistry.Kind kind,
        bytes32 contentHash,
        string metadataURI
    );
    event AssetTransferred(bytes32 indexed assetId, address indexed from, address indexed to);
    event AssetMetadataUpdated(bytes32 indexed assetId, bytes32 contentHash, string metadataURI);
    event ParentLinked(bytes32 indexed childId, bytes32 indexed parentId, uint16 shareBps, uint256 licenseId);
    event ExplicitSplitSet(
        bytes32 indexed assetId,
        uint32 indexed version,
        address[] accounts,
        uint96[] weights,
        uint256 totalWeight
    );
    event MerkleSplitSet(
        bytes32 indexed assetId, uint32 indexed version, bytes32 root, uint256 totalWeight, string uri
    );
    event LicensingSet(address indexed licensing);

    function _register(address who, bytes32 salt, AssetRegistry.Kind kind) internal returns (bytes32 id) {
        vm.prank(who);
        id = registry.register(salt, kind, bytes32(0), "");
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
        vm.assertEq(asset.sequence, 1);
        vm.assertEq(registry.ownerOfAsset(id), alice);
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

    function test_setLicensing_RevertWhen_alreadySet() public {
        vm.prank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(AssetRegistry.LicensingAlreadySet.selector, address(licensing))
        );
        registry.setLicensing(ILicenses(address(1)));
    }

    function test_setLicensing_RevertWhen_notOwner() public {
        AssetRegistry fresh = new AssetRegistry(owner);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        fresh.setLicensing(ILicenses(address(1)));
        vm.expectEmit();
        emit LicensingSet(address(1));
        vm.prank(owner);
        fresh.setLicensing(ILicenses(address(1)));
    }

    function test_transferAsset_movesOwnership() public {
        bytes32 id = _register(alice, "a", AssetRegistry.Kind.Model);
        vm.expectEmit();
        emit AssetTransferred(id, alice, bob);
        vm.prank(alice);
        registry.transferAsset(id, bob);
        vm.assertEq(registry.ownerOfAsset(id), bob);
    }

    function test_transferAsset_RevertWhen_notOwner() public {
        bytes32 id = _register(alice, "a", AssetRegistry.Kind.Model);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.NotAssetOwner.selector, id, bob, alice));
        vm.prank(bob);
        registry.transferAsset(id, bob);
    }

    function test_transferAsset_RevertWhen_unknownOrZero() public {
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.UnknownAsset.selector, bytes32("nope")));
        registry.transferAsset("nope", bob);
        bytes32 id = _register(alice, "a", AssetRegistry.Kind.Model);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        vm.prank(alice);
        registry.transferAsset(id, address(0));
    }

    function test_updateMetadata_replacesHashAndUri() public {
        bytes32 id = _register(alice, "a", AssetRegistry.Kind.Agent);
        vm.expectEmit();
        emit AssetMetadataUpdated(id, bytes32(uint256(9)), "ipfs://v2");
        vm.prank(alice);
        registry.updateMetadata(id, bytes32(uint256(9)), "ipfs://v2");
        vm.assertEq(registry.assetOf(id).contentHash, bytes32(uint256(9)));
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.NotAssetOwner.selector, id, bob, alice));
        vm.prank(bob);
        registry.updateMetadata(id, 0, "");
    }

    function test_setExplicitSplit_storesSortedRecipientsAndBumpsVersion() public {
        bytes32 id = _register(alice, "d", AssetRegistry.Kind.Dataset);
        (address[] memory accounts, uint96[] memory weights) = _list(bob, 3, carol, 1);
        vm.expectEmit();
        emit ExplicitSplitSet(id, 1, accounts, weights, 4);
        vm.prank(alice);
        registry.setExplicitSplit(id, accounts, weights);
        ContributorSplits.Split memory split = registry.splitOf(id);
        vm.assertEq(uint8(split.kind), uint8(ContributorSplits.SplitKind.Explicit));
        vm.assertEq(split.totalWeight, 4);
        vm.assertEq(registry.recipientsOf(id).length, 2);
        vm.prank(alice);
        registry.setExplicitSplit(id, accounts, weights);
        vm.assertEq(registry.splitOf(id).version, 2);
        vm.assertEq(registry.recipientsOf(id).length, 2);
    }

    function test_setExplicitSplit_RevertWhen_invalid() public {
        bytes32 id = _register(alice, "d", AssetRegistry.Kind.Dataset);
        vm.startPrank(alice);
        (address[] memory accounts, uint96[] memory weights) = _list(carol, 1, bob, 1);
        vm.expectRevert(abi.encodeWithSelector(ContributorSplits.SplitNotSorted.selector, 1, bob));
        registry.setExplicitSplit(id, accounts, weights);
        (accounts, weights) = _list(bob, 1, carol, 0);
        vm.expectRevert(abi.encodeWithSelector(ContributorSplits.ZeroWeight.selector, 1));
        registry.setExplicitSplit(id, accounts, weights);
        vm.expectRevert(abi.encodeWithSelector(ContributorSplits.SplitLengthMismatch.selector, 2, 0));
        registry.setExplicitSplit(id, accounts, new uint96[](0));
        vm.expectRevert(ContributorSplits.EmptySplit.selector);
        registry.setExplicitSplit(id, new address[](0), new uint96[](0));
        vm.expectRevert(abi.encodeWithSelector(ContributorSplits.SplitTooLarge.selector, 33, 32));
        registry.setExplicitSplit(id, new address[](33), new uint96[](33));
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.NotAssetOwner.selector, id, bob, alice));
        vm.prank(bob);
        registry.setExplicitSplit(id, accounts, weights);
    }

    function test_setMerkleSplit_replacesExplicitList() public {
        bytes32 id = _register(alice, "d", AssetRegistry.Kind.Dataset);
        (address[] memory accounts, uint96[] memory weights) = _list(bob, 3, carol, 1);
        vm.startPrank(alice);
        registry.setExplicitSplit(id, accounts, weights);
        vm.expectEmit();
        emit MerkleSplitSet(id, 2, bytes32(uint256(1)), 1e9, "r2://weights");
        registry.setMerkleSplit(id, bytes32(uint256(1)), 1e9, "r2://weights");
        vm.assertEq(registry.recipientsOf(id).length, 0);
        vm.assertEq(registry.splitOf(id).root, bytes32(uint256(1)));
        vm.expectRevert(ContributorSplits.EmptySplit.selector);
        registry.setMerkleSplit(id, bytes32(0), 1, "");
        vm.expectRevert(ContributorSplits.EmptySplit.selector);
        registry.setMerkleSplit(id, bytes32(uint256(1)), 0, "");
    }

    function test_linkParent_sameOwnerNeedsNoLicense() public {
        bytes32 data = _register(alice, "d", AssetRegistry.Kind.Dataset);
        bytes32 model = _register(alice, "m", AssetRegistry.Kind.Model);
        vm.expectEmit();
        emit ParentLinked(model, data, 2500, 0);
        vm.prank(alice);
        registry.linkParent(model, data, 2500, 42);
        AssetRegistry.ParentLink[] memory parents = registry.parentsOf(model);
        vm.assertEq(parents.length, 1);
        vm.assertEq(parents[0].parentId, data);
        vm.assertEq(registry.parentSharesOf(model), 2500);
    }

    function test_linkParent_withDerivativeLicense() public {
        bytes32 data = _register(alice, "d", AssetRegistry.Kind.Dataset);
        bytes32 model = _register(bob, "m", AssetRegistry.Kind.Model);
        uint256 licenseId = _license(data, bob, true);
        vm.prank(bob);
        registry.linkParent(model, data, 1000, licenseId);
        vm.assertEq(registry.parentsOf(model)[0].licenseId, licenseId);
    }

    function test_linkParent_RevertWhen_licenseMissingWrongOrExpired() public {
        bytes32 data = _register(alice, "d", AssetRegistry.Kind.Dataset);
        bytes32 model = _register(bob, "m", AssetRegistry.Kind.Model);
        uint256 noDerivatives = _license(data, bob, false);
        uint256 held = _license(data, carol, true);
        vm.startPrank(bob);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.DerivativeNotLicensed.selector, data, bob, 0));
        registry.linkParent(model, data, 1000, 0);
        vm.expectRevert(
            abi.encodeWithSelector(AssetRegistry.DerivativeNotLicensed.selector, data, bob, noDerivatives)
        );
        registry.linkParent(model, data, 1000, noDerivatives);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.DerivativeNotLicensed.selector, data, bob, held));
        registry.linkParent(model, data, 1000, held);
        vm.stopPrank();
        uint256 own = _license(data, bob, true);
        vm.startPrank(bob);
        vm.warp(block.timestamp + 31 days);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.DerivativeNotLicensed.selector, data, bob, own));
        registry.linkParent(model, data, 1000, own);
        vm.stopPrank();
    }

    function test_linkParent_RevertWhen_noLicensingWired() public {
        AssetRegistry fresh = new AssetRegistry(owner);
        vm.prank(alice);
        bytes32 data = fresh.register("d", AssetRegistry.Kind.Dataset, 0, "");
        vm.prank(bob);
        bytes32 model = fresh.register("m", AssetRegistry.Kind.Model, 0, "");
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.DerivativeNotLicensed.selector, data, bob, 1));
        vm.prank(bob);
        fresh.linkParent(model, data, 1000, 1);
    }

    function test_linkParent_RevertWhen_cycleOrSelf() public {
        bytes32 data = _register(alice, "d", AssetRegistry.Kind.Dataset);
        bytes32 model = _register(alice, "m", AssetRegistry.Kind.Model);
        vm.startPrank(alice);
        registry.linkParent(model, data, 1000, 0);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.ParentNotOlder.selector, data, model));
        registry.linkParent(data, model, 1000, 0);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.ParentNotOlder.selector, model, model));
        registry.linkParent(model, model, 1000, 0);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.ParentAlreadyLinked.selector, model, data));
        registry.linkParent(model, data, 1000, 0);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.UnknownAsset.selector, bytes32("ghost")));
        registry.linkParent(model, "ghost", 1000, 0);
        vm.stopPrank();
    }

    function test_linkParent_RevertWhen_sharesInvalid() public {
        bytes32 a = _register(alice, "a", AssetRegistry.Kind.Dataset);
        bytes32 b = _register(alice, "b", AssetRegistry.Kind.Dataset);
        bytes32 model = _register(alice, "m", AssetRegistry.Kind.Model);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.InvalidShare.selector, 0));
        registry.linkParent(model, a, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.InvalidShare.selector, 10_001));
        registry.linkParent(model, a, 10_001, 0);
        registry.linkParent(model, a, 6000, 0);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.ParentSharesExceedWhole.selector, model, 10_001));
        registry.linkParent(model, b, 4001, 0);
        vm.stopPrank();
    }

    function test_linkParent_RevertWhen_moreThan16Parents() public {
        bytes32[] memory parents = new bytes32[](17);
        for (uint256 i; i < 17; ++i) {
            parents[i] = _register(alice, bytes32(i + 1), AssetRegistry.Kind.Dataset);
        }
        bytes32 model = _register(alice, "m", AssetRegistry.Kind.Model);
        vm.startPrank(alice);
        for (uint256 i; i < 16; ++i) {
            registry.linkParent(model, parents[i], 100, 0);
        }
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.TooManyParents.selector, model, 16));
        registry.linkParent(model, parents[16], 100, 0);
        vm.stopPrank();
    }

    function _license(bytes32 assetId, address holder, bool derivatives) internal returns (uint256) {
        Licensing.Terms memory terms = Licensing.Terms({
            assetId: assetId,
            token: address(token),
            pricePerMTokIn: 1,
            pricePerMTokOut: 2,
            upfrontFee: 0,
            duration: 30 days,
            commercial: true,
            derivatives: derivatives,
            transferable: false,
            active: true
        });
        vm.prank(registry.ownerOfAsset(assetId));
        uint256 termsId = licensing.publishTerms(terms);
        return licensing.mintLicense(termsId, holder);
    }

    function _list(address a, uint96 wa, address b, uint96 wb)
        internal
        pure
        returns (address[] memory accounts, uint96[] memory weights)
    {
        accounts = new address[](2);
        weights = new uint96[](2);
        (accounts[0], accounts[1], weights[0], weights[1]) = (a, b, wa, wb);
    }

    function test_setMerkleSplit_RevertWhen_notAssetOwner() public {
        bytes32 id = _register(alice, "d", AssetRegistry.Kind.Dataset);
        vm.expectRevert(abi.encodeWithSelector(AssetRegistry.NotAssetOwner.selector, id, bob, alice));
        vm.prank(bob);
        registry.setMerkleSplit(id, bytes32(uint256(1)), 1, "");
    }
}
