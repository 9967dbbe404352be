/* installsift test corpus: minimal console program.
 * SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <stdio.h>

int main(void)
{
    puts("hello from the installsift test corpus");
    return 0;
}
