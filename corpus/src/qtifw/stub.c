/* A stand-in for Qt IFW's installerbase (6.6 MB): binarycreator -t appends
   the binary content to whatever template it is given. */
#include <stdio.h>
int main(void) { puts("installsift qtifw stub"); return 0; }
