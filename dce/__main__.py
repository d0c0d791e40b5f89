from dce.cli import main

raise SystemExit(main())
