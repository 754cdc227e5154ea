from suite.app import main

raise SystemExit(main("forecast"))
