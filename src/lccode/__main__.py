from lccode.cli import main

main()
