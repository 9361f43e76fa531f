TILES = []
