/* installsift test corpus: IExpress-style stub that carries a cabinet
 * as an RCDATA resource named "CABINET" and checks that it is there.
 * SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <windows.h>
#include <stdio.h>

int main(void)
{
    HRSRC res = FindResourceA(NULL, "CABINET", (LPCSTR)RT_RCDATA);
    if (res == NULL || SizeofResource(NULL, res) == 0) {
        puts("no CABINET resource");
        return 1;
    }
    puts("CABINET resource present");
    return 0;
}
