//! The engine over `iso`: files are regions of the image, opened in turn.

use crate::test_support::*;
use crate::{Format, Scanner};

#[test]
fn files_are_scanned_and_the_boot_image_is_a_copy_of_its_file() {
    let Some(d) = sample("iso/eltorito.iso") else {
        return;
    };
    let r = Scanner::new().scan_bytes("media.iso", &d);
    assert_eq!(r.root.info.format, Format::Iso);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    let setup = r.root.find("bin/setup.exe").expect("setup.exe");
    assert_eq!(setup.info.format, Format::Pe);
    let boot = r.root.find("[BOOT]/Boot-NoEmul.img").expect("boot image");
    let file = r.root.find("boot/boot.img").expect("boot.img");
    assert_eq!(boot.info.sha256, file.info.sha256);
    assert!(file.info.errors.is_empty(), "{:?}", file.info.errors);
}
