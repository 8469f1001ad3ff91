import math
import numpy as np
def language_model_scores(total_nll, count):
    ce = total_nll / count
    return {"cross_entropy": ce, "perplexity": math.exp(ce), "bits_per_token": ce / math.log(2), "tokens": count}
def frame_nll(probabilities, rolls):
    t=0.0; n=0
    for p, r in zip(probabilities, rolls):
        p=np.clip(np.asarray(p,float),1e-7,1-1e-7); r=np.asarray(r,float)
        t+=-(r*np.log(p)+(1-r)*np.log(1-p)).sum(); n+=len(r)
    return t/n
def frame_accuracy(predicted, rolls):
    tp=fp=fn=0
    for p, r in zip(predicted, rolls):
        p=np.asarray(p,bool); r=np.asarray(r,bool)
        tp+=(p&r).sum(); fp+=(p&~r).sum(); fn+=(~p&r).sum()
    return float(tp/(tp+fp+fn))
