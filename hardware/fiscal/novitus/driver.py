class NoviApiPrinter:  # placeholder replaced below
    pass
