from . import hotline_evaluation_ranking
