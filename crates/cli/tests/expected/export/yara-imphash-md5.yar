// installsift export 2024-06-01T00:00:00Z
import "hash"
import "pe"

rule installsift_8f8179186cecc7b66a3a4b7df02ba57e4d78a6959913d91fe4e494b0d7596e5c {
  meta:
    path = "pe/signed_x64.exe"
    family = "none"
    comment = "installsift: pe file pe/signed_x64.exe"
  condition:
    filesize == 16592 and (hash.sha256(0, filesize) == "8f8179186cecc7b66a3a4b7df02ba57e4d78a6959913d91fe4e494b0d7596e5c" or hash.md5(0, filesize) == "64d8a13ce7489afbd2dc5e549c8fcba1")
}

rule installsift_imphash_8a98287583280596621b430fd66919dd {
  meta:
    path = "pe/signed_x64.exe"
    family = "none"
    comment = "installsift: pe file pe/signed_x64.exe"
  condition:
    pe.imphash() == "8a98287583280596621b430fd66919dd"
}

rule installsift_41e544f5902ec4e681f0d6bd4fcbc27e14202d06bfd9dcd9325fffa47a72a1f4 {
  meta:
    path = "pe/with_zip.exe"
    family = "zip-sfx"
    comment = "installsift: zip-sfx installer pe/with_zip.exe"
  condition:
    filesize == 15409 and (hash.sha256(0, filesize) == "41e544f5902ec4e681f0d6bd4fcbc27e14202d06bfd9dcd9325fffa47a72a1f4" or hash.md5(0, filesize) == "3322555b07f888c8ca887c366184ffaa")
}

rule installsift_c096f5033b4a2fb210e7e571662f87b2d4515b25ff1e35ae95bb25e6beb9c7b2 {
  meta:
    path = "pe/with_zip.exe > [overlay]"
    family = "none"
    comment = "installsift: zip file pe/with_zip.exe > [overlay]"
  condition:
    filesize == 561 and (hash.sha256(0, filesize) == "c096f5033b4a2fb210e7e571662f87b2d4515b25ff1e35ae95bb25e6beb9c7b2" or hash.md5(0, filesize) == "3085779e8238c4cf2fed4947d5f1439d")
}

rule installsift_e155ed126bdad39b784b7acfbc2f0cd689e7af230dfb035e1fa1d6d31bfa8a7a {
  meta:
    path = "pe/with_zip.exe > [overlay] > readme.txt"
    family = "none"
    comment = "installsift: unknown file pe/with_zip.exe > [overlay] > readme.txt"
  condition:
    filesize == 322 and (hash.sha256(0, filesize) == "e155ed126bdad39b784b7acfbc2f0cd689e7af230dfb035e1fa1d6d31bfa8a7a" or hash.md5(0, filesize) == "5d3bfc5729e1d5ad63634e9f6ad2b989")
}

rule installsift_7542f349508b27a9bf56c2cf36ead1a44a8f80be6bb018cc7e04ce962f0ac0dc {
  meta:
    path = "pe/with_zip.exe > [overlay] > config.ini"
    family = "none"
    comment = "installsift: unknown file pe/with_zip.exe > [overlay] > config.ini"
  condition:
    filesize == 211 and (hash.sha256(0, filesize) == "7542f349508b27a9bf56c2cf36ead1a44a8f80be6bb018cc7e04ce962f0ac0dc" or hash.md5(0, filesize) == "9840b94b09ca584b9bdd24654dc5fbae")
}

rule installsift_e20653ca8ae716be45f29fad8c01f723136898506f22d85a763cadde073b8879 {
  meta:
    path = "pe/lib_x64.dll"
    family = "none"
    comment = "installsift: pe file pe/lib_x64.dll"
  condition:
    filesize == 13312 and (hash.sha256(0, filesize) == "e20653ca8ae716be45f29fad8c01f723136898506f22d85a763cadde073b8879" or hash.md5(0, filesize) == "f1eb1a6cb74e5a3bee04e6a37f64b69f")
}

rule installsift_imphash_df00652ad3e78ba777ba702462655cf8 {
  meta:
    path = "pe/lib_x64.dll"
    family = "none"
    comment = "installsift: pe file pe/lib_x64.dll"
  condition:
    pe.imphash() == "df00652ad3e78ba777ba702462655cf8"
}

rule installsift_4212122d9001746713628945e09a23c6da21b570ca3b1875ddf0a417f5310b6c {
  meta:
    path = "msi/simple.msi"
    family = "msi"
    comment = "installsift: msi installer msi/simple.msi"
  condition:
    filesize == 15872 and (hash.sha256(0, filesize) == "4212122d9001746713628945e09a23c6da21b570ca3b1875ddf0a417f5310b6c" or hash.md5(0, filesize) == "e324cd5ddd4086b6bc8b9fc3878773d7")
}

rule installsift_69a907f55f9c8ac6d789c47de7cf6a3a41e9a4d410df25ae665558e1d9f658a0 {
  meta:
    path = "msi/simple.msi > Program Files/SiftSimple/hello.exe"
    family = "none"
    comment = "installsift: pe file msi/simple.msi > Program Files/SiftSimple/hello.exe"
  condition:
    filesize == 14848 and (hash.sha256(0, filesize) == "69a907f55f9c8ac6d789c47de7cf6a3a41e9a4d410df25ae665558e1d9f658a0" or hash.md5(0, filesize) == "f70049e30dfe96385f966d16e8f2e51f")
}

rule installsift_67f258de8ceaa0372634846a4ecb7d6c054f443344e30911a21f08f88d8656a6 {
  meta:
    path = "zip/deflate.zip"
    family = "none"
    comment = "installsift: zip file zip/deflate.zip"
  condition:
    filesize == 7398 and (hash.sha256(0, filesize) == "67f258de8ceaa0372634846a4ecb7d6c054f443344e30911a21f08f88d8656a6" or hash.md5(0, filesize) == "e24487a432d4277f6ab4f5b2cfc1e7c0")
}

rule installsift_c3685c069ca9023582791b4a6b1b2049014f9aea1c56f92d862ca50fcd3499f2 {
  meta:
    path = "zip/deflate.zip > docs/license.txt"
    family = "none"
    comment = "installsift: unknown file zip/deflate.zip > docs/license.txt"
  condition:
    filesize == 4043 and (hash.sha256(0, filesize) == "c3685c069ca9023582791b4a6b1b2049014f9aea1c56f92d862ca50fcd3499f2" or hash.md5(0, filesize) == "76606d9fd0af61d3e8f04b1a9d44cb6d")
}

rule installsift_b0626d4a42d454d316e20ca58dc7da47308c64d0e04670d75f8808b383ad28d9 {
  meta:
    path = "7z/enc_data.7z"
    family = "none"
    comment = "installsift: 7z file 7z/enc_data.7z"
  condition:
    filesize == 6525 and (hash.sha256(0, filesize) == "b0626d4a42d454d316e20ca58dc7da47308c64d0e04670d75f8808b383ad28d9" or hash.md5(0, filesize) == "848198453d756b7e8139ebbfbc9b858c")
}
