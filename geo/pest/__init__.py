"""Pine-wilt disease (松材线虫病): the registers declared in :mod:`.layers` and their rules — dead
trees and 即死即清 (:mod:`.trees`), contractors and their qualification certificates
(:mod:`.contractors`), epidemic sites year by year (:mod:`.sites`), the bulletin paragraph
(:mod:`.bulletin`). Uses the engine and the layers below it."""
