/* installsift test corpus: DLL exporting two functions.
 * SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <windows.h>

__declspec(dllexport) int __cdecl sift_add(int a, int b)
{
    return a + b;
}

__declspec(dllexport) const char *__cdecl sift_version(void)
{
    return "1.2.3.4";
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
    (void)inst; (void)reason; (void)reserved;
    return TRUE;
}
