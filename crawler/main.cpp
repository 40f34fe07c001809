#include "crawler/cli.h"

int main(int argc, char** argv) { return crawl::crawl_main(argc, argv); }
