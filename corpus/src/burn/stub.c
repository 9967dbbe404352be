/* installsift test corpus: a stand-in Burn engine. Only its `.wixburn`
 * section matters: the header layout of WiX's src/burn/stub/StubSection.cpp
 * (magic 0x00f14300, version 2, then zeros that build_burn.py fills in the
 * way light.exe does: bundle id, stub size, container format/count/sizes).
 * SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <stdio.h>

__attribute__((section(".wixburn"), used))
static const unsigned int wixburn[12 + 20] = {0x00f14300u, 2u};

int main(void)
{
    printf("burn stub, section magic %08x\n", wixburn[0]);
    return 0;
}
