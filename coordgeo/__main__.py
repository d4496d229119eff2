from coordgeo.cli import main

main()
