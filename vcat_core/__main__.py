from vcat_core.cli.app import main

main()
