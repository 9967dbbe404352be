/* installsift test corpus: minimal GUI-subsystem program.
 * SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <windows.h>

int WINAPI WinMain(HINSTANCE inst, HINSTANCE prev, LPSTR cmd, int show)
{
    (void)inst; (void)prev; (void)cmd; (void)show;
    MessageBoxA(NULL, "installsift test corpus", "installsift", MB_OK);
    return 0;
}
