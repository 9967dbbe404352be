//! The classifier over the whole corpus: one table names the expected verdict,
//! family and look-alike kind of every sample. Zero false installers among the
//! non-installers, a family for every installer, evidence for every verdict.

use crate::util::{corpus, samples};
use installsift::{Scanner, Verdict};
use Verdict::{Installer, NotInstaller, Unknown};

/// (sample, verdict, family, kind). Every file under corpus/ must be here.
const EXPECTED: &[(&str, Verdict, Option<&str>, Option<&str>)] = &[
    ("7z/enc_data.7z", NotInstaller, None, None),
    ("7z/enc_header.7z", Unknown, None, None),
    ("7z/infected_data.7z", NotInstaller, None, None),
    // Names encrypted too: nothing to tell from without the password.
    ("7z/infected_header.7z", Unknown, None, None),
    ("7z/large_lzma2_bcj.7z", NotInstaller, None, None),
    ("7z/copy_plain_header.7z", NotInstaller, None, None),
    ("7z/methods.7z", NotInstaller, None, None),
    ("7z/lzma2.7z", NotInstaller, None, None),
    // A UDIF image whose GPT holds an APFS partition (Homebrew's fixture).
    ("apfs/container-apfs.dmg", Installer, Some("dmg"), None),
    // A bare APFS container: a file system, not an installer.
    ("apfs/dfvfs_apfs.raw", NotInstaller, None, None),
    (
        "appinstaller/sample.appinstaller",
        Installer,
        Some("msix"),
        None,
    ),
    (
        "bdist_wininst/siftdemo-1.0.win32.exe",
        Installer,
        Some("bdist-wininst"),
        None,
    ),
    (
        "burn/burn_constructed.exe",
        Installer,
        Some("wix-burn"),
        None,
    ),
    ("cab/large_mszip.cab", NotInstaller, None, None),
    ("cab_real/libarchive_lzx_e8.cab", NotInstaller, None, None),
    (
        "cab_real/libmspack_mszip_lzx_qtm.cab",
        NotInstaller,
        None,
        None,
    ),
    ("cab_real/wix_native_test.cab", NotInstaller, None, None),
    ("cab_real/wix_signed_cab1.cab", NotInstaller, None, None),
    ("cab/lzx_blocks.cab", NotInstaller, None, None),
    ("cab_set/cabd_multi_basic_pt1.cab", NotInstaller, None, None),
    ("cab_set/cabd_multi_basic_pt2.cab", NotInstaller, None, None),
    ("cab_set/cabd_multi_basic_pt3.cab", NotInstaller, None, None),
    ("cab_set/cabd_multi_basic_pt4.cab", NotInstaller, None, None),
    ("cab_set/cabd_multi_basic_pt5.cab", NotInstaller, None, None),
    ("cab_set/split_a.cab", NotInstaller, None, None),
    ("cab_set/split_b.cab", NotInstaller, None, None),
    ("cab_set_in/installshield_set.iso", NotInstaller, None, None),
    ("cab_set_in/set.7z", NotInstaller, None, None),
    ("cab_set_in/set.iso", NotInstaller, None, None),
    ("cab_set_in/set.tar", NotInstaller, None, None),
    ("cab_set_in/set.zip", NotInstaller, None, None),
    ("cab_set_in/set_plain.iso", NotInstaller, None, None),
    ("chm/chmcmd_help.chm", NotInstaller, None, None),
    ("cab/lzx_e8.cab", NotInstaller, None, None),
    ("cab/lzx_far_match.cab", NotInstaller, None, None),
    ("cab/lzx_two_folders.cab", NotInstaller, None, None),
    ("cab/mszip.cab", NotInstaller, None, None),
    ("cab/stored.cab", NotInstaller, None, None),
    (
        "clickonce/sample.application",
        Installer,
        Some("clickonce"),
        None,
    ),
    (
        "clickonce/sample.exe.manifest",
        Installer,
        Some("clickonce"),
        None,
    ),
    ("dmg/decmpfs-zlib.dmg", Installer, Some("dmg"), None),
    ("dmg/hdiutil-hfs.dmg", Installer, Some("dmg"), None),
    ("dmg/hdiutil-xattrs.dmg", Installer, Some("dmg"), None),
    ("dmg/hello-bzip2.dmg", Installer, Some("dmg"), None),
    ("dmg/hello-lzfse.dmg", Installer, Some("dmg"), None),
    ("dmg/hello-zlib.dmg", Installer, Some("dmg"), None),
    ("documents/sxs_app.exe.manifest", NotInstaller, None, None),
    (
        "iexpress/iexpress_windres.exe",
        Installer,
        Some("iexpress"),
        None,
    ),
    ("inno/inno5_bzip2_solid.exe", Installer, Some("inno"), None),
    (
        "inno/inno5_lzma_nonsolid.exe",
        Installer,
        Some("inno"),
        None,
    ),
    (
        "inno/inno5_zlib_password.exe",
        Installer,
        Some("inno"),
        None,
    ),
    ("inno/inno60_bzip2.exe", Installer, Some("inno"), None),
    ("inno/inno556_zip_solid.exe", Installer, Some("inno"), None),
    ("inno/inno559_bzip_x86.exe", Installer, Some("inno"), None),
    ("inno/inno620_lzma2_x86.exe", Installer, Some("inno"), None),
    (
        "inno/inno60_stored_admin.exe",
        Installer,
        Some("inno"),
        None,
    ),
    ("inno/inno64_lzma2_solid.exe", Installer, Some("inno"), None),
    ("inno/inno6_encrypted.exe", Installer, Some("inno"), None),
    ("inno/inno60_infected.exe", Installer, Some("inno"), None),
    (
        "inno/inno6_zlib_admin_x64.exe",
        Installer,
        Some("inno"),
        None,
    ),
    ("inno/inno_lzma2.exe", Installer, Some("inno"), None),
    // Bare setup data written from issrc's records (corpus/README.md).
    ("inno/spec/inno642_zlib.bin", Installer, Some("inno"), None),
    (
        "inno/spec/inno643_lzma2_solid.bin",
        Installer,
        Some("inno"),
        None,
    ),
    (
        "inno/spec/inno650_lzma2_solid.bin",
        Installer,
        Some("inno"),
        None,
    ),
    (
        "inno/spec/inno650_zlib_7zdll.bin",
        Installer,
        Some("inno"),
        None,
    ),
    (
        "inno/spec/inno652_lzma_encrypted.bin",
        Installer,
        Some("inno"),
        None,
    ),
    (
        "inno/spec/inno652_stored.bin",
        Installer,
        Some("inno"),
        None,
    ),
    ("inno/spec/inno660_lzma2.bin", Installer, Some("inno"), None),
    (
        "inno/spec/inno661_zlib_solid.bin",
        Installer,
        Some("inno"),
        None,
    ),
    (
        "inno/spec/inno670_full_encryption.bin",
        Installer,
        Some("inno"),
        None,
    ),
    (
        "inno/spec/inno670_lzma2_solid.bin",
        Installer,
        Some("inno"),
        None,
    ),
    (
        "inno/spec/inno670_stored.bin",
        Installer,
        Some("inno"),
        None,
    ),
    (
        "installshield/clam_IScab_ext.exe",
        Installer,
        Some("installshield"),
        None,
    ),
    (
        "installshield/clam_IScab_int.exe",
        Installer,
        Some("installshield"),
        None,
    ),
    (
        "installshield/clam_ISmsi_ext.exe",
        Installer,
        Some("installshield"),
        None,
    ),
    (
        "installshield/clam_ISmsi_int.exe",
        Installer,
        Some("installshield"),
        None,
    ),
    // Constructed layouts of long-tail builders (corpus/src/tools/longtail.sh).
    (
        "longtail/advinst_footer_signed.exe",
        Installer,
        Some("advanced-installer"),
        None,
    ),
    (
        "longtail/advinst_options.exe",
        Installer,
        Some("advanced-installer"),
        None,
    ),
    (
        "longtail/advinst_tail.exe",
        Installer,
        Some("advanced-installer"),
        None,
    ),
    (
        "longtail/astrum_resource.exe",
        Installer,
        Some("astrum"),
        None,
    ),
    (
        "longtail/bitrock_overlay.exe",
        Installer,
        Some("bitrock"),
        None,
    ),
    (
        "longtail/clickteam_wwgt.exe",
        Installer,
        Some("clickteam"),
        None,
    ),
    (
        "longtail/createinstall_awaw.exe",
        Installer,
        Some("createinstall"),
        None,
    ),
    (
        "longtail/excelsior_overlay.exe",
        Installer,
        Some("other"),
        None,
    ),
    (
        "longtail/gentee_header.exe",
        Installer,
        Some("gentee"),
        None,
    ),
    (
        "longtail/gentee_setup_temp.exe",
        Installer,
        Some("gentee"),
        None,
    ),
    (
        "longtail/ghost_installer_xor_cab.exe",
        Installer,
        Some("ghost-installer"),
        None,
    ),
    (
        "longtail/install4j_overlay.exe",
        Installer,
        Some("install4j"),
        None,
    ),
    (
        "longtail/installaware_comments.exe",
        Installer,
        Some("installaware"),
        None,
    ),
    (
        "longtail/installshield2_szdd.exe",
        Installer,
        Some("installshield"),
        None,
    ),
    (
        "longtail/installshield3_overlay.exe",
        Installer,
        Some("installshield"),
        None,
    ),
    (
        "longtail/installshield_launcher_manifest.exe",
        Installer,
        Some("installshield"),
        None,
    ),
    (
        "longtail/qt_ifw_overlay.exe",
        Installer,
        Some("qt-ifw"),
        None,
    ),
    (
        "longtail/setup_factory7_runtime.exe",
        Installer,
        Some("setup-factory"),
        None,
    ),
    (
        "longtail/setup_factory_overlay.exe",
        Installer,
        Some("setup-factory"),
        None,
    ),
    (
        "longtail/smart_install_maker.exe",
        Installer,
        Some("smart-install-maker"),
        None,
    ),
    (
        "longtail/veracrypt_overlay.exe",
        Installer,
        Some("other"),
        None,
    ),
    ("longtail/vise_overlay.exe", Installer, Some("vise"), None),
    (
        "longtail/wise_overlay_size.exe",
        Installer,
        Some("wise"),
        None,
    ),
    (
        "longtail/wise_wizard_string.exe",
        Installer,
        Some("wise"),
        None,
    ),
    (
        "lookalike/aspack_clam-aspack.exe",
        NotInstaller,
        None,
        Some("packed-aspack"),
    ),
    (
        "lookalike/autoit_clam.ea06.exe",
        NotInstaller,
        None,
        Some("autoit"),
    ),
    (
        "lookalike/cfb_olefile_test-ole-file.doc",
        NotInstaller,
        None,
        Some("compound-document"),
    ),
    (
        "lookalike/distlib_script.exe",
        NotInstaller,
        None,
        Some("script-launcher"),
    ),
    (
        "lookalike/docx_python-docx_default.docx",
        NotInstaller,
        None,
        None,
    ),
    (
        "lookalike/inno5_Setup.e32",
        NotInstaller,
        None,
        Some("engine-stub"),
    ),
    (
        "lookalike/inno5_SetupLdr.e32",
        NotInstaller,
        None,
        Some("engine-stub"),
    ),
    (
        "lookalike/inno5_unins000.exe",
        NotInstaller,
        None,
        Some("uninstaller"),
    ),
    (
        "lookalike/inno_SetupLdr.e32",
        NotInstaller,
        None,
        Some("engine-stub"),
    ),
    (
        "lookalike/nsis_stub_zlib-x86-unicode.exe",
        NotInstaller,
        None,
        Some("engine-stub"),
    ),
    (
        "lookalike/odt_odfpy_simplelist.odt",
        NotInstaller,
        None,
        None,
    ),
    (
        "lookalike/pyinstaller_run.exe",
        NotInstaller,
        None,
        Some("pyinstaller"),
    ),
    (
        "lookalike/setuptools_cli-64.exe",
        NotInstaller,
        None,
        Some("script-launcher"),
    ),
    (
        "lookalike/squirrel_setup_template.exe",
        NotInstaller,
        None,
        Some("engine-stub"),
    ),
    (
        "lookalike/upx_clam-upx.exe",
        NotInstaller,
        None,
        Some("packed-upx"),
    ),
    ("lookalike/wine_extrac32.exe", NotInstaller, None, None),
    (
        "lookalike/wine_msiexec.exe",
        NotInstaller,
        None,
        Some("system-tool"),
    ),
    (
        "lookalike_built/ice_validation.cub",
        NotInstaller,
        None,
        Some("validation-database"),
    ),
    (
        "lookalike_built/jar_launcher.exe",
        NotInstaller,
        None,
        Some("java-launcher"),
    ),
    (
        "lookalike_built/nsis_uninstall_7zz.exe",
        NotInstaller,
        None,
        Some("uninstaller"),
    ),
    // Real look-alikes from public repositories and PyPI (corpus/README.md).
    (
        "lookalike_real/cx_freeze_console-cpython-312-win_amd64.exe",
        NotInstaller,
        None,
        None,
    ),
    (
        "lookalike_real/dotnet_singlefile_PublishSingleFileAwareApp.exe",
        NotInstaller,
        None,
        Some("dotnet-bundle"),
    ),
    (
        "lookalike_real/nsis2.0rc1_uninstaller_upx_uninst_nxsinfotool.exe",
        NotInstaller,
        None,
        Some("uninstaller"),
    ),
    (
        "lookalike_real/omaha_mi_exe_stub_1.2.141.5.exe",
        NotInstaller,
        None,
        Some("engine-stub"),
    ),
    (
        "lookalike_real/py2exe_run-py3.12-win-amd64.exe",
        NotInstaller,
        None,
        None,
    ),
    (
        "lookalike_real/wix_burn_engine_unbound.exe",
        NotInstaller,
        None,
        Some("engine-stub"),
    ),
    ("malformed/corrupt_deflate.zip", NotInstaller, None, None),
    ("malformed/corrupt_mszip.cab", NotInstaller, None, None),
    ("malformed/empty.bin", Unknown, None, None),
    (
        "malformed/nsis_trunc_lzma_solid.exe",
        Installer,
        Some("nsis"),
        None,
    ),
    (
        "malformed/nsis_trunc_zlib.exe",
        Installer,
        Some("nsis"),
        None,
    ),
    (
        "malformed/msifilehash_mismatch.msi",
        Installer,
        Some("msi"),
        None,
    ),
    ("malformed/traversal.zip", NotInstaller, None, None),
    ("malformed/trunc_deflate.zip", Unknown, None, None),
    ("malformed/trunc_lzma2.7z", Unknown, None, None),
    ("malformed/trunc_mszip.cab", Unknown, None, None),
    ("malformed/trunc_simple.msi", Installer, Some("msi"), None),
    ("msi/dirs.msi", Installer, Some("msi"), None),
    ("msi/external.cab", NotInstaller, None, None),
    ("msi/external_cab.msi", Installer, Some("msi"), None),
    ("msi/large_mszip.msi", Installer, Some("msi"), None),
    ("msi/module.msm", Installer, Some("msm"), None),
    ("msi/nonascii.msi", Installer, Some("msi"), None),
    ("msi/renamed.bin", Installer, Some("msi"), None),
    ("msi/signed.msi", Installer, Some("msi"), None),
    ("msi/simple.msi", Installer, Some("msi"), None),
    (
        "msi_real/Firewall4_wix406.msi",
        Installer,
        Some("msi"),
        None,
    ),
    (
        "msi_real/GoogleUpdateHelper.msi",
        Installer,
        Some("msi"),
        None,
    ),
    ("msi_real/Module401_wix5.msm", Installer, Some("msm"), None),
    ("msi_real/gears-win32-opt.msi", Installer, Some("msi"), None),
    (
        "msi_real/IviNetSharedComponents32_Fx20_1.3.0.msi",
        Installer,
        Some("msi"),
        None,
    ),
    (
        "msi_real/MergeModule1_wix4.msm",
        Installer,
        Some("msm"),
        None,
    ),
    (
        "msi_real/vsinstaller_Setup1.msi",
        Installer,
        Some("msi"),
        None,
    ),
    (
        "msi_real/wix3_AutoGenProductId_instance.mst",
        NotInstaller,
        None,
        Some("transform"),
    ),
    (
        "msi_real/wix3_MergeModule_truncated.msm",
        Installer,
        Some("msm"),
        None,
    ),
    (
        "msi_real/wix3_PatchABv101.msp",
        Installer,
        Some("msp"),
        None,
    ),
    ("msix/sample.msix", Installer, Some("msix"), None),
    (
        "msu/Windows8.1-KB2937592-x86.msu",
        Installer,
        Some("msu"),
        None,
    ),
    ("nested/zip_7z_zip.zip", NotInstaller, None, None),
    ("nsis/amd64_zlib.exe", Installer, Some("nsis"), None),
    (
        "nsis_real/google_cloud_sdk_nsis246_signed.exe",
        Installer,
        Some("nsis"),
        None,
    ),
    (
        "nsis_real/nsis2.08_NxS_BigClock_0_3_1.exe",
        Installer,
        Some("nsis"),
        None,
    ),
    (
        "nsis_real/nsis2.0rc1_upx_NxS_Info_Tool_1_6.exe",
        Installer,
        Some("nsis"),
        None,
    ),
    ("nsis/ansi_lzma_solid.exe", Installer, Some("nsis"), None),
    ("nsis/bzip2.exe", Installer, Some("nsis"), None),
    ("nsis/bzip2_solid.exe", Installer, Some("nsis"), None),
    ("nsis/carrier.exe", Installer, Some("nsis"), None),
    ("nsis/large_lzma_solid.exe", Installer, Some("nsis"), None),
    ("nsis/lzma.exe", Installer, Some("nsis"), None),
    ("nsis/lzma_solid.exe", Installer, Some("nsis"), None),
    ("nsis/nofiles.exe", Installer, Some("nsis"), None),
    ("nsis/signed_zlib.exe", Installer, Some("nsis"), None),
    (
        "nsis/stub_zlib-x86-unicode.exe",
        NotInstaller,
        None,
        Some("engine-stub"),
    ),
    ("nsis/zlib.exe", Installer, Some("nsis"), None),
    ("nsis/zlib_solid.exe", Installer, Some("nsis"), None),
    (
        "omaha/chromium_updater_layout.exe",
        Installer,
        Some("omaha"),
        None,
    ),
    ("omaha/omaha_tagged.exe", Installer, Some("omaha"), None),
    // Chrome's mini_installer layout (B7 chrome.packed.7z with BCJ2, BL setup.ex_):
    // an installer of no family we name (evidence `chromium-mini-installer`).
    (
        "omaha/chrome_mini_installer_layout.exe",
        Installer,
        Some("other"),
        None,
    ),
    ("pe/cab_resource.exe", Installer, Some("cab-sfx"), None),
    ("pkg/component.pkg", Installer, Some("pkg"), None),
    // Real installers from public repositories (corpus/README.md, "Real installers").
    (
        "real/omaha_GoogleUpdateSetup_1.2.121.9_untagged.exe",
        Installer,
        Some("omaha"),
        None,
    ),
    (
        "real/vs_setup_bootstrapper_2017.exe",
        Installer,
        Some("other"),
        None,
    ),
    (
        "real/velopack_LegacyTestApp-0084-Setup.exe",
        Installer,
        Some("velopack"),
        None,
    ),
    (
        "real/wix3_v3bundle_CustomV3Theme.exe",
        Installer,
        Some("wix-burn"),
        None,
    ),
    ("pkg/product.pkg", Installer, Some("pkg"), None),
    // RAR 4 (libarchive's WinRAR test archives): plain archives; the cut
    // ones (no end-of-archive block) and the one whose headers are
    // encrypted "could not tell".
    ("rar/rar4_bad_noeof.rar", Unknown, None, None),
    ("rar/rar4_bad_overflow.rar", Unknown, None, None),
    (
        "rar/rar4_bad_unbound_staticdata.rar",
        NotInstaller,
        None,
        None,
    ),
    ("rar/rar4_best_ppmd.rar", NotInstaller, None, None),
    ("rar/rar4_filters.rar", NotInstaller, None, None),
    ("rar/rar4_header_encrypted.rar", Unknown, None, None),
    ("rar/rar4_links.rar", NotInstaller, None, None),
    ("rar/rar4_lowdist_reset.rar", NotInstaller, None, None),
    ("rar/rar4_multi_lzss_blocks.rar", NotInstaller, None, None),
    ("rar/rar4_normal.rar", NotInstaller, None, None),
    ("rar/rar4_partly_encrypted.rar", NotInstaller, None, None),
    (
        "rar/rar4_ppmd_lzss_conversion.rar",
        NotInstaller,
        None,
        None,
    ),
    ("rar/rar4_ppmd_256mib_model.rar", NotInstaller, None, None),
    ("rar/rar4_subblock.rar", NotInstaller, None, None),
    ("rar/rar4_unicode.rar", NotInstaller, None, None),
    ("rar/rar4_windows.rar", NotInstaller, None, None),
    ("rar/rar5_arm.rar", NotInstaller, None, None),
    // Damaged headers (libarchive's fuzz case): the walk stops early, so
    // "could not tell".
    ("rar/rar5_bad_dict_reference.rar", Unknown, None, None),
    ("rar/rar5_bad_loop_bug.rar", NotInstaller, None, None),
    ("rar/rar5_bad_tables.rar", NotInstaller, None, None),
    ("rar/rar5_blake2.rar", NotInstaller, None, None),
    ("rar/rar5_compressed.rar", NotInstaller, None, None),
    ("rar/rar5_extra_field_version.rar", NotInstaller, None, None),
    ("rar/rar5_multiple_files.rar", NotInstaller, None, None),
    (
        "rar/rar5_multiple_files_solid.rar",
        NotInstaller,
        None,
        None,
    ),
    ("rar/rar5_solid.rar", NotInstaller, None, None),
    ("rar/rar5_stored_manyfiles.rar", NotInstaller, None, None),
    ("rar/rar5_symlink.rar", NotInstaller, None, None),
    ("rar/rar5_win32.rar", NotInstaller, None, None),
    ("rar/rar15_comment.rar", NotInstaller, None, None),
    ("rar/rar20_comment.rar", NotInstaller, None, None),
    ("rar/rar20_unix_owner.rar", NotInstaller, None, None),
    ("rar_volumes/rar3-old.r00", NotInstaller, None, None),
    ("rar_volumes/rar3-old.r01", NotInstaller, None, None),
    ("rar_volumes/rar3-old.rar", NotInstaller, None, None),
    (
        "rar_volumes/test_rar_multivolume_multiple_files.part1.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_multiple_files.part2.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_multiple_files.part3.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_multiple_files.part4.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_multiple_files.part5.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_multiple_files.part6.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_single_file.part1.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_single_file.part2.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_single_file.part3.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part01.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part02.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part03.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part04.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part05.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part06.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part07.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part08.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part09.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_rar_multivolume_uncompressed_files.part10.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive.part01.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive.part02.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive.part03.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive.part04.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive.part05.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive.part06.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive.part07.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive.part08.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive_solid.part01.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive_solid.part02.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive_solid.part03.rar",
        NotInstaller,
        None,
        None,
    ),
    (
        "rar_volumes/test_read_format_rar5_multiarchive_solid.part04.rar",
        NotInstaller,
        None,
        None,
    ),
    ("rar_volumes_in/set.iso", NotInstaller, None, None),
    ("rar_volumes_in/set.zip", NotInstaller, None, None),
    ("pe/gui_x64.exe", NotInstaller, None, None),
    ("pe/hello_x64.exe", NotInstaller, None, None),
    ("pe/hello_x86.exe", NotInstaller, None, None),
    ("pe/lib_x64.dll", NotInstaller, None, None),
    // Other toolchains (issue 21's builder identification): plain programs.
    ("toolchain/go_hello_x86.exe", NotInstaller, None, None),
    ("toolchain/rust_hello_x64.exe", NotInstaller, None, None),
    ("pe/msi_in_overlay.exe", Installer, Some("msi"), None),
    ("pe/signed_x64.exe", NotInstaller, None, None),
    ("pe/with_7z.exe", Installer, Some("7z-sfx"), None),
    ("pe/with_cab.exe", Installer, Some("cab-sfx"), None),
    ("pe/with_random.exe", NotInstaller, None, None),
    ("pe/with_zip.exe", Installer, Some("zip-sfx"), None),
    ("pe/with_zip_adjusted.exe", Installer, Some("zip-sfx"), None),
    ("pe/zip_after_cert.exe", Installer, Some("zip-sfx"), None),
    ("pe/zip_before_cert.exe", Installer, Some("zip-sfx"), None),
    ("sfx/7z_sfx_config.exe", Installer, Some("7z-sfx"), None),
    ("sfx/winrar_sfx_rar4.exe", Installer, Some("rar-sfx"), None),
    ("signed_real/SQL2008_AS.msp", Installer, Some("msp"), None),
    ("signed_real/WPF2_32.msp", Installer, Some("msp"), None),
    (
        "signed_real/putty-0.68-installer.msi",
        Installer,
        Some("msi"),
        None,
    ),
    // A Microsoft-signed UEFI boot loader: signed, still not an installer.
    ("signed_real/shimx64.efi.signed", NotInstaller, None, None),
    ("sfx/winrar_sfx_rar5.exe", Installer, Some("rar-sfx"), None),
    (
        "squirrel/squirrel_setup.exe",
        Installer,
        Some("squirrel"),
        None,
    ),
    // Compressed streams, tar and cpio: plain archives; damage that hides
    // the content is unknown, a checksum mismatch is not.
    ("streams/crc.cpio", NotInstaller, None, None),
    ("streams/gnu.tar", NotInstaller, None, None),
    ("streams/gnu.tar.bz2", NotInstaller, None, None),
    ("streams/hello.txt.bz2", NotInstaller, None, None),
    ("streams/hello.txt.gz", NotInstaller, None, None),
    // No magic and no known content: not taken for LZMA.
    ("streams/hello.txt.lzma", Unknown, None, None),
    ("streams/hello.txt.xz", NotInstaller, None, None),
    ("streams/multi.txt.gz", NotInstaller, None, None),
    ("streams/newc.cpio", NotInstaller, None, None),
    ("streams/newc.cpio.pbzx", NotInstaller, None, None),
    ("streams/newc.cpio.xz", NotInstaller, None, None),
    ("streams/odc.cpio", NotInstaller, None, None),
    ("streams/pax.tar", NotInstaller, None, None),
    ("streams/pax.tar.xz", NotInstaller, None, None),
    ("streams/ustar.tar", NotInstaller, None, None),
    ("streams/ustar.tar.gz", NotInstaller, None, None),
    ("streams/ustar.tar.lzma", NotInstaller, None, None),
    ("malformed/streams_bad_check.cpio", NotInstaller, None, None),
    ("malformed/streams_bad_crc.txt.gz", NotInstaller, None, None),
    (
        "malformed/streams_bad_header_checksum.tar",
        NotInstaller,
        None,
        None,
    ),
    ("malformed/streams_cut.tar", Unknown, None, None),
    ("malformed/streams_cut.tar.gz", Unknown, None, None),
    // Traps: damaged or hostile, still classified by what parsed.
    ("traps/cab_4gb.cab", NotInstaller, None, None),
    ("traps/cfb_difat_loop.msi", Installer, Some("msi"), None),
    ("traps/cfb_fat_cycle.msi", Installer, Some("msi"), None),
    ("traps/cfb_huge_counts.msi", Installer, Some("msi"), None),
    ("traps/nest42.zip", NotInstaller, None, None),
    ("traps/nsis_2gb_header.exe", Installer, Some("nsis"), None),
    ("traps/overlap_bomb.zip", NotInstaller, None, None),
    ("traps/pe_65535_sections.exe", Unknown, None, None),
    ("traps/pe_overlay_window.exe", Unknown, None, None),
    ("traps/pe_resource_loop.exe", Unknown, None, None),
    ("traps/quine.zip", NotInstaller, None, None),
    ("traps/sevenz_huge.7z", NotInstaller, None, None),
    ("traps/zip_bomb_zeros.zip", NotInstaller, None, None),
    ("iso/eltorito.iso", NotInstaller, None, None),
    ("iso/joliet.iso", NotInstaller, None, None),
    ("iso/joliet_rr.iso", NotInstaller, None, None),
    ("iso/multi_extent.iso", NotInstaller, None, None),
    ("iso/plain.iso", NotInstaller, None, None),
    ("iso/rockridge.iso", NotInstaller, None, None),
    ("udf/genisoimage_bridge.iso", NotInstaller, None, None),
    ("udf/mkudffs_hd512.img", NotInstaller, None, None),
    // A virtual partition (VAT), not read: what it holds is not known.
    ("udf/mkudffs_vat.img", Unknown, None, None),
    ("udf/pycdlib.iso", NotInstaller, None, None),
    ("carve/rust_logo_cab.png", Unknown, None, None),
    ("carve/stub_zip.sh", Unknown, None, None),
    ("zip_legacy/implode.zip", NotInstaller, None, None),
    ("zip_legacy/shrink.zip", NotInstaller, None, None),
    ("zip_legacy/reduce.zip", NotInstaller, None, None),
    ("zip_legacy/commons_SHRUNK.ZIP", NotInstaller, None, None),
    (
        "zip_legacy/commons_imploding-4Kdict-2trees.zip",
        NotInstaller,
        None,
        None,
    ),
    (
        "zip_legacy/commons_imploding-8Kdict-3trees.zip",
        NotInstaller,
        None,
        None,
    ),
    ("ne/win16_plain.exe", NotInstaller, None, None),
    ("ne/win16_zip_sfx.exe", Installer, Some("zip-sfx"), None),
    (
        "ne/is_setup_layout.exe",
        Installer,
        Some("installshield"),
        None,
    ),
    ("arj/m0.arj", NotInstaller, None, None),
    ("arj/m1.arj", NotInstaller, None, None),
    ("arj/m2.arj", NotInstaller, None, None),
    ("arj/m3.arj", NotInstaller, None, None),
    ("arj/m4.arj", NotInstaller, None, None),
    ("arj/garbled.arj", NotInstaller, None, None),
    ("arj/sfx_elf", Unknown, None, None),
    ("qtifw/two.exe", Installer, Some("qt-ifw"), None),
    ("qtifw/two_linux", Installer, Some("qt-ifw"), None),
    ("qtifw/resources.rcc", NotInstaller, None, None),
    ("arj/pe_arj.exe", Installer, Some("arj-sfx"), None),
    ("szdd/README.TXT_", NotInstaller, None, None),
    ("szdd/SETUP.EX_", NotInstaller, None, None),
    ("kwaj/libmspack_f00.kwj", NotInstaller, None, None),
    ("kwaj/libmspack_f13.kwj", NotInstaller, None, None),
    ("kwaj/libmspack_f83.kwj", NotInstaller, None, None),
    ("kwaj/lzss.kwj", NotInstaller, None, None),
    ("kwaj/lzss_noname.kwj", NotInstaller, None, None),
    ("kwaj/mszip.kwj", NotInstaller, None, None),
    ("kwaj/stored.kwj", NotInstaller, None, None),
    ("kwaj/xor.kwj", NotInstaller, None, None),
    ("malformed/kwaj_cve-2018-14681.kwj", Unknown, None, None),
    (
        "malformed/kwaj_libmspack_f04_long_ext.kwj",
        Unknown,
        None,
        None,
    ),
    ("xar/bzip2.xar", NotInstaller, None, None),
    ("xar/lzma.xar", NotInstaller, None, None),
    ("xar/none.xar", NotInstaller, None, None),
    ("xar/npm_gzip_truncated.xar", NotInstaller, None, None),
    ("xar/xarjs.xar", NotInstaller, None, None),
    ("xar/xarjs_signed.xar", NotInstaller, None, None),
    ("xar/xz.xar", NotInstaller, None, None),
    ("zip/deflate.zip", NotInstaller, None, None),
    ("zip/enc_aes128.zip", NotInstaller, None, None),
    ("zip/enc_aes192_ae1.zip", NotInstaller, None, None),
    ("zip/enc_aes256.zip", NotInstaller, None, None),
    ("zip/enc_zipcrypto.zip", NotInstaller, None, None),
    ("zip/enc_zipcrypto_7z.zip", NotInstaller, None, None),
    ("zip/large_deflate.zip", NotInstaller, None, None),
    ("zip/stored.zip", NotInstaller, None, None),
];

#[test]
fn every_corpus_sample_gets_its_expected_verdict_family_and_kind() {
    let all = samples();
    let listed: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
    let missing: Vec<&String> = all
        .iter()
        .filter(|s| !listed.contains(&s.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "samples without an expected verdict: {missing:?}"
    );
    let mut failures = Vec::new();
    let (mut false_installers, mut installers, mut others) = (0, 0, 0);
    for &(rel, verdict, family, kind) in EXPECTED {
        let report = Scanner::new()
            .scan_path(&corpus().join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        let n = &report.root;
        if verdict == Installer {
            installers += 1;
            assert!(
                family.is_some(),
                "{rel}: an installer row must name its family"
            );
        } else {
            others += 1;
            if n.info.verdict == Installer {
                false_installers += 1;
            }
        }
        let got = (
            n.info.verdict,
            n.info.family.map(|f| f.as_str()),
            n.info.kind.as_deref(),
        );
        if got != (verdict, family, kind) {
            failures.push(format!(
                "{rel}: want {:?}, got {got:?}",
                (verdict, family, kind)
            ));
        }
        let why = n.info.evidence.iter().filter(|e| e.signal != "pe-header");
        if why.count() == 0 {
            failures.push(format!(
                "{rel}: verdict {:?} without evidence",
                n.info.verdict
            ));
        }
    }
    assert_eq!(false_installers, 0, "false installers: {failures:#?}");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        installers >= 10 && others >= 20,
        "{installers} installers, {others} others"
    );
}

#[test]
fn look_alikes_name_their_kind_and_installers_carry_bioc_hints() {
    for &(rel, verdict, family, kind) in EXPECTED {
        let r = Scanner::new().scan_path(&corpus().join(rel)).expect("scan");
        if kind.is_some() {
            assert_eq!(
                verdict, NotInstaller,
                "{rel}: a look-alike is not an installer"
            );
        }
        if verdict == Installer && family != Some("msm") {
            let facts = r.root.info.installer.as_ref();
            assert!(facts.is_some(), "{rel}: installer without facts");
        }
    }
}

#[test]
fn sevenz_sfx_config_and_inno_version_are_read() {
    let r = Scanner::new()
        .scan_path(&corpus().join("sfx/7z_sfx_config.exe"))
        .expect("scan");
    let facts = r.root.info.installer.as_ref().expect("facts");
    assert_eq!(
        facts
            .properties
            .get("7z-config.RunProgram")
            .map(String::as_str),
        Some("notepad.exe readme.txt")
    );
    let r = Scanner::new()
        .scan_path(&corpus().join("inno/inno_lzma2.exe"))
        .expect("scan");
    let facts = r.root.info.installer.as_ref().expect("facts");
    assert_eq!(facts.engine_version.as_deref(), Some("6.3.0"));
    assert_eq!(
        facts.silent_args.as_deref(),
        Some("/VERYSILENT /SUPPRESSMSGBOXES /NORESTART")
    );
}

#[test]
fn script_launcher_with_zip_is_not_a_zip_sfx() {
    let r = Scanner::new()
        .scan_path(&corpus().join("lookalike/distlib_script.exe"))
        .expect("scan");
    assert!(r
        .root
        .children
        .iter()
        .any(|c| c.info.format == installsift::Format::Zip));
    assert_eq!(r.root.info.verdict, NotInstaller);
    let signals: Vec<&str> = r
        .root
        .info
        .evidence
        .iter()
        .map(|e| e.signal.as_str())
        .collect();
    assert!(signals.contains(&"script-launcher-shebang"), "{signals:?}");
    assert!(signals.contains(&"pe-carries-archive"), "{signals:?}");
}

/// Families without a corpus sample, from a real stub plus the documented
/// header bytes (generated, not committed).
#[test]
fn rar_sfx_xar_and_dmg_are_detected_by_their_headers() {
    let stub = std::fs::read(corpus().join("pe/hello_x64.exe")).expect("stub");
    let mut rar_sfx = stub.clone();
    rar_sfx.extend_from_slice(b"Rar!\x1a\x07\x01\x00");
    rar_sfx.extend_from_slice(&[0x33; 64]);
    let r = Scanner::new().scan_bytes("x.exe", &rar_sfx);
    assert_eq!(
        (r.root.info.verdict, r.root.info.family.map(|f| f.as_str())),
        (Installer, Some("rar-sfx"))
    );

    let mut xar = b"xar!\x00\x1c\x00\x01".to_vec();
    xar.extend_from_slice(&100u64.to_be_bytes());
    xar.extend_from_slice(&400u64.to_be_bytes());
    xar.extend_from_slice(&[0; 4]);
    let r = Scanner::new().scan_bytes("x.pkg", &xar);
    assert_eq!(r.root.info.format, installsift::Format::Xar);
    // A xar whose TOC is cut off: the header alone does not tell a flat
    // package from another xar (Safari extension, plain archive).
    assert_eq!((r.root.info.verdict, r.root.info.family), (Unknown, None));
    let r = Scanner::new()
        .scan_path(&corpus().join("pkg/product.pkg"))
        .expect("product.pkg");
    assert_eq!(r.root.info.family.map(|f| f.as_str()), Some("pkg"));

    let mut dmg = vec![0u8; 1024];
    let t = dmg.len() - 512;
    dmg[t..t + 4].copy_from_slice(b"koly");
    dmg[t + 4..t + 8].copy_from_slice(&4u32.to_be_bytes());
    dmg[t + 8..t + 12].copy_from_slice(&512u32.to_be_bytes());
    let r = Scanner::new().scan_bytes("x.dmg", &dmg);
    assert_eq!(r.root.info.family.map(|f| f.as_str()), Some("dmg"));
}

fn prop(r: &installsift::Report, key: &str) -> Option<String> {
    r.root
        .info
        .installer
        .as_ref()
        .and_then(|f| f.properties.get(key).cloned())
}

/// What each family's installer facts read from the sample (BIOC hints and
/// the family's own configuration).
#[test]
fn family_facts_are_read_from_the_samples() {
    let scan = |rel: &str| Scanner::new().scan_path(&corpus().join(rel)).expect(rel);

    let r = scan("burn/burn_constructed.exe");
    assert_eq!(
        prop(&r, "bundle-id").as_deref(),
        Some("{5B2E1D3C-0000-4000-8000-00000000A001}")
    );
    assert_eq!(prop(&r, "attached-containers").as_deref(), Some("1"));
    assert_eq!(prop(&r, "bundle-version").as_deref(), Some("1.2.3.0"));
    assert_eq!(
        prop(&r, "chain").as_deref(),
        Some("ExePackage:vcredist [redist\\vcredist_x64.exe]; MsiPackage:simple.msi [a0]")
    );
    let names: Vec<&str> = r
        .root
        .children
        .iter()
        .map(|c| c.info.path.last().map(String::as_str).unwrap_or(""))
        .collect();
    assert_eq!(names, ["[burn-ux]", "[burn-attached-1]"]);
    // The attached container's MSI is scanned in turn.
    let att = &r.root.children[1];
    assert_eq!(att.children[0].info.family.map(|f| f.as_str()), Some("msi"));

    let r = scan("pkg/product.pkg");
    assert_eq!(prop(&r, "title").as_deref(), Some("Installsift Demo"));
    assert_eq!(
        prop(&r, "pkg-refs").as_deref(),
        Some("org.installsift.demo 1.2.3")
    );
    assert_eq!(
        prop(&r, "components").as_deref(),
        Some("org.installsift.demo 1.2.3 -> /")
    );
    let mut names: Vec<&str> = r
        .root
        .children
        .iter()
        .map(|c| c.info.path.last().expect("name").as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Distribution",
            "demo.pkg/PackageInfo",
            "demo.pkg/Payload",
            "demo.pkg/Scripts"
        ]
    );

    let r = scan("iexpress/iexpress_windres.exe");
    assert_eq!(
        prop(&r, "RUNPROGRAM").as_deref(),
        Some("cmd /c install.bat")
    );
    assert_eq!(prop(&r, "POSTRUNPROGRAM"), None, "<None> means unset");
    assert!(r
        .root
        .info
        .installer
        .as_ref()
        .and_then(|f| f.runs.as_deref())
        .is_some_and(|x| x.contains("cmd /c install.bat")));

    let r = scan("omaha/omaha_tagged.exe");
    assert_eq!(
        prop(&r, "tag.appname").as_deref(),
        Some("Installsift%20Sample")
    );
    assert_eq!(prop(&r, "tag.needsadmin").as_deref(), Some("prefers"));

    let r = scan("msix/sample.msix");
    assert_eq!(
        prop(&r, "identity.Name").as_deref(),
        Some("Installsift.Sample")
    );
    assert_eq!(
        prop(&r, "identity.ProcessorArchitecture").as_deref(),
        Some("x64")
    );
    let r = scan("appinstaller/sample.appinstaller");
    assert_eq!(
        prop(&r, "identity.Name").as_deref(),
        Some("Installsift.Sample")
    );

    let r = scan("squirrel/squirrel_setup.exe");
    assert!(prop(&r, "releases")
        .is_some_and(|x| x.ends_with("installsift-sample-1.0.0-full.nupkg 666")));

    let r = scan("clickonce/sample.application");
    assert_eq!(prop(&r, "install").as_deref(), Some("true"));
    assert_eq!(
        prop(&r, "deploymentProvider").as_deref(),
        Some("https://example.invalid/installsift/InstallsiftSample.application")
    );
}

/// Resource B/102 alone is not Omaha: without the `Gact` tag and without
/// Omaha's version-info names the sample is an ordinary PE.
#[test]
fn omaha_needs_the_tag_its_payload_or_its_version_info() {
    let mut b = std::fs::read(corpus().join("omaha/omaha_tagged.exe")).expect("sample");
    let replace = |b: &mut Vec<u8>, from: &[u8], to: &[u8]| {
        let mut i = 0;
        while i + from.len() <= b.len() {
            if &b[i..i + from.len()] == from {
                b[i..i + from.len()].copy_from_slice(to);
            }
            i += 1;
        }
    };
    let utf16 = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    replace(&mut b, b"Gact", b"Xact");
    let r = Scanner::new().scan_bytes("x.exe", &b);
    assert_eq!(
        r.root.info.family.map(|f| f.as_str()),
        Some("omaha"),
        "version info still says Update Setup"
    );
    replace(&mut b, &utf16("Update Setup"), &utf16("Sample Tools"));
    let r = Scanner::new().scan_bytes("x.exe", &b);
    assert_eq!(
        r.root.info.family.map(|f| f.as_str()),
        Some("omaha"),
        "the B/102 payload is still an LZMA tarball: {:?}",
        r.root.info.evidence
    );
    // The payload's LZMA header (lc/lp/pb byte 0x5D, then the dictionary
    // size) made invalid: nothing Omaha's is left.
    replace(
        &mut b,
        b"\x5d\x00\x00\x00\x04\xff\xff\xff\xff",
        b"\xff\x00\x00\x00\x04\xff\xff\xff\xff",
    );
    let r = Scanner::new().scan_bytes("x.exe", &b);
    assert_eq!(
        r.root.info.verdict, NotInstaller,
        "{:?}",
        r.root.info.evidence
    );
}

#[test]
fn velopack_setup_names_its_bundled_package() {
    let r = Scanner::new()
        .scan_path(&corpus().join("real/velopack_LegacyTestApp-0084-Setup.exe"))
        .expect("scan");
    let n = &r.root;
    assert_eq!(n.info.family.map(|f| f.as_str()), Some("velopack"));
    let e = n
        .info
        .evidence
        .iter()
        .find(|e| e.signal == "velopack-bundle")
        .expect("velopack evidence");
    assert!(e.detail.contains("LegacyTestApp"), "{}", e.detail);
    let f = n.info.installer.as_ref().expect("facts");
    let p = |k: &str| f.properties.get(k).map(String::as_str);
    assert_eq!(p("package.id"), Some("LegacyTestApp"));
    assert_eq!(p("package.version"), Some("1.0.0"));
    // 7-Zip: `Type = zip, Offset = 2756096, Physical Size = 1414417`.
    assert_eq!(p("bundle.offset"), Some("2756096"));
    assert_eq!(p("bundle.size"), Some("1414417"));
    assert_eq!(f.engine_version.as_deref(), Some("0.0.84"));
}

#[test]
fn omaha_is_recognised_by_its_stub_structure_without_a_tag() {
    let r = Scanner::new()
        .scan_path(&corpus().join("real/omaha_GoogleUpdateSetup_1.2.121.9_untagged.exe"))
        .expect("scan");
    let n = &r.root;
    assert_eq!(n.info.family.map(|f| f.as_str()), Some("omaha"));
    let e = n
        .info
        .evidence
        .iter()
        .find(|e| e.signal == "omaha-metainstaller")
        .expect("omaha evidence");
    // The version info says only "Setup"; the payload decided.
    assert!(e.detail.contains("LZMA-compressed tar"), "{}", e.detail);
    assert!(e.detail.contains("GoogleUpdate.exe"), "{}", e.detail);
    let f = n.info.installer.as_ref().expect("facts");
    assert_eq!(f.engine_version.as_deref(), Some("1.2.121.9"));
    // Tagged ones keep their tag.
    let r = Scanner::new()
        .scan_path(&corpus().join("omaha/omaha_tagged.exe"))
        .expect("scan");
    let f = r.root.info.installer.as_ref().expect("facts");
    assert!(f.properties.contains_key("tag"), "{:?}", f.properties);
}

#[test]
fn long_tail_builders_report_the_version_they_carry() {
    for (rel, version) in [
        ("longtail/smart_install_maker.exe", "5.04"),
        ("longtail/setup_factory7_runtime.exe", "7.0"),
    ] {
        let r = Scanner::new().scan_path(&corpus().join(rel)).expect("scan");
        let f = r.root.info.installer.as_ref().expect("facts");
        assert_eq!(f.engine_version.as_deref(), Some(version), "{rel}");
    }
}

#[test]
fn further_builders_name_themselves_in_properties() {
    for (rel, builder) in [
        ("longtail/excelsior_overlay.exe", "Excelsior Installer"),
        ("longtail/veracrypt_overlay.exe", "VeraCrypt installer"),
        (
            "real/vs_setup_bootstrapper_2017.exe",
            "Visual Studio setup bootstrapper",
        ),
    ] {
        let r = Scanner::new().scan_path(&corpus().join(rel)).expect("scan");
        let f = r.root.info.installer.as_ref().expect("facts");
        assert_eq!(
            f.properties.get("builder").map(String::as_str),
            Some(builder),
            "{rel}"
        );
        assert!(
            r.root
                .info
                .evidence
                .iter()
                .any(|e| e.signal == "builder-overlay-magic"
                    || e.signal == "vs-bootstrapper-setupcfg")
        );
    }
}

#[test]
fn a_squirrel_stub_whose_payload_is_damaged_is_an_installer_not_a_template() {
    let mut b =
        std::fs::read(corpus().join("lookalike/squirrel_setup_template.exe")).expect("sample");
    let r = Scanner::new().scan_bytes("Setup.exe", &b);
    assert_eq!(r.root.info.kind.as_deref(), Some("engine-stub"));
    // Break the DATA zip's end-of-central-directory record: what it holds
    // can no longer be listed, so a package may be in it.
    let eocd = b
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("zip in the DATA resource");
    b[eocd + 3] = 0x07;
    let r = Scanner::new().scan_bytes("Setup.exe", &b);
    assert_eq!(
        r.root.info.family.map(|f| f.as_str()),
        Some("squirrel"),
        "{:?}",
        r.root.info.evidence
    );
    assert!(r
        .root
        .info
        .evidence
        .iter()
        .any(|e| e.signal == "squirrel-damaged-payload"));
    let zip = r
        .root
        .children
        .iter()
        .find(|c| c.info.format == installsift::Format::Zip)
        .expect("zip child");
    assert!(
        !zip.info.errors.is_empty(),
        "the damage is reported on the zip"
    );
}

#[test]
fn bdist_wininst_names_its_package_and_distutils_version() {
    let r = Scanner::new()
        .scan_path(&corpus().join("bdist_wininst/siftdemo-1.0.win32.exe"))
        .expect("scan");
    let f = r.root.info.installer.as_ref().expect("facts");
    let p = |k: &str| f.properties.get(k).map(String::as_str);
    assert_eq!(p("package.name"), Some("siftdemo"));
    assert_eq!(p("package.version"), Some("1.0"));
    // build_info=Built Sat Jun  1 00:00:00 2024 with distutils-3.7.16
    assert_eq!(f.engine_version.as_deref(), Some("3.7.16"));
}
