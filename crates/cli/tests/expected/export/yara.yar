// installsift export 2024-06-01T00:00:00Z
import "hash"

rule installsift_8f8179186cecc7b66a3a4b7df02ba57e4d78a6959913d91fe4e494b0d7596e5c {
  meta:
    path = "pe/signed_x64.exe"
    family = "none"
    comment = "installsift: pe file pe/signed_x64.exe"
  condition:
    filesize == 16592 and (hash.sha256(0, filesize) == "8f8179186cecc7b66a3a4b7df02ba57e4d78a6959913d91fe4e494b0d7596e5c")
}

rule installsift_41e544f5902ec4e681f0d6bd4fcbc27e14202d06bfd9dcd9325fffa47a72a1f4 {
  meta:
    path = "pe/with_zip.exe"
    family = "zip-sfx"
    comment = "installsift: zip-sfx installer pe/with_zip.exe"
  condition:
    filesize == 15409 and (hash.sha256(0, filesize) == "41e544f5902ec4e681f0d6bd4fcbc27e14202d06bfd9dcd9325fffa47a72a1f4")
}

rule installsift_c096f5033b4a2fb210e7e571662f87b2d4515b25ff1e35ae95bb25e6beb9c7b2 {
  meta:
    path = "pe/with_zip.exe > [overlay]"
    family = "none"
    comment = "installsift: zip file pe/with_zip.exe > [overlay]"
  condition:
    filesize == 561 and (hash.sha256(0, filesize) == "c096f5033b4a2fb210e7e571662f87b2d4515b25ff1e35ae95bb25e6beb9c7b2")
}

rule installsift_e155ed126bdad39b784b7acfbc2f0cd689e7af230dfb035e1fa1d6d31bfa8a7a {
  meta:
    path = "pe/with_zip.exe > [overlay] > readme.txt"
    family = "none"
    comment = "installsift: unknown file pe/with_zip.exe > [overlay] > readme.txt"
  condition:
    filesize == 322 and (hash.sha256(0, filesize) == "e155ed126bdad39b784b7acfbc2f0cd689e7af230dfb035e1fa1d6d31bfa8a7a")
}

rule installsift_7542f349508b27a9bf56c2cf36ead1a44a8f80be6bb018cc7e04ce962f0ac0dc {
  meta:
    path = "pe/with_zip.exe > [overlay] > config.ini"
    family = "none"
    comment = "installsift: unknown file pe/with_zip.exe > [overlay] > config.ini"
  condition:
    filesize == 211 and (hash.sha256(0, filesize) == "7542f349508b27a9bf56c2cf36ead1a44a8f80be6bb018cc7e04ce962f0ac0dc")
}

rule installsift_e20653ca8ae716be45f29fad8c01f723136898506f22d85a763cadde073b8879 {
  meta:
    path = "pe/lib_x64.dll"
    family = "none"
    comment = "installsift: pe file pe/lib_x64.dll"
  condition:
    filesize == 13312 and (hash.sha256(0, filesize) == "e20653ca8ae716be45f29fad8c01f723136898506f22d85a763cadde073b8879")
}

rule installsift_4212122d9001746713628945e09a23c6da21b570ca3b1875ddf0a417f5310b6c {
  meta:
    path = "msi/simple.msi"
    family = "msi"
    comment = "installsift: msi installer msi/simple.msi"
  condition:
    filesize == 15872 and (hash.sha256(0, filesize) == "4212122d9001746713628945e09a23c6da21b570ca3b1875ddf0a417f5310b6c")
}

rule installsift_69a907f55f9c8ac6d789c47de7cf6a3a41e9a4d410df25ae665558e1d9f658a0 {
  meta:
    path = "msi/simple.msi > Program Files/SiftSimple/hello.exe"
    family = "none"
    comment = "installsift: pe file msi/simple.msi > Program Files/SiftSimple/hello.exe"
  condition:
    filesize == 14848 and (hash.sha256(0, filesize) == "69a907f55f9c8ac6d789c47de7cf6a3a41e9a4d410df25ae665558e1d9f658a0")
}

rule installsift_67f258de8ceaa0372634846a4ecb7d6c054f443344e30911a21f08f88d8656a6 {
  meta:
    path = "zip/deflate.zip"
    family = "none"
    comment = "installsift: zip file zip/deflate.zip"
  condition:
    filesize == 7398 and (hash.sha256(0, filesize) == "67f258de8ceaa0372634846a4ecb7d6c054f443344e30911a21f08f88d8656a6")
}

rule installsift_c3685c069ca9023582791b4a6b1b2049014f9aea1c56f92d862ca50fcd3499f2 {
  meta:
    path = "zip/deflate.zip > docs/license.txt"
    family = "none"
    comment = "installsift: unknown file zip/deflate.zip > docs/license.txt"
  condition:
    filesize == 4043 and (hash.sha256(0, filesize) == "c3685c069ca9023582791b4a6b1b2049014f9aea1c56f92d862ca50fcd3499f2")
}

rule installsift_b0626d4a42d454d316e20ca58dc7da47308c64d0e04670d75f8808b383ad28d9 {
  meta:
    path = "7z/enc_data.7z"
    family = "none"
    comment = "installsift: 7z file 7z/enc_data.7z"
  condition:
    filesize == 6525 and (hash.sha256(0, filesize) == "b0626d4a42d454d316e20ca58dc7da47308c64d0e04670d75f8808b383ad28d9")
}
