"""Pine-wilt disease (松材线虫病): the domain rules of the registers declared in
:mod:`geo.pest.layers` — dead trees and 即死即清 (:mod:`.trees`), contractors and their
qualification certificates (:mod:`.contractors`), epidemic sites year by year (:mod:`.sites`),
the bulletin paragraph (:mod:`.bulletin`) and the demo records (:mod:`.demo`)."""
