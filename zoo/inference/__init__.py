"""The pieces of the one inference driver, :func:`zoo.fit.fit` (its public face).

``_target``  what is fitted: a family model with its data, or a bound user program, behind
             one protocol (program, arguments, sites kept, pointwise log-likelihood, ...)
``_nuts``    NUTS through :mod:`zoo.nuts`, for fits and for simulation-based calibration
``_svi``     autoguides and the one compiled SVI loop (:class:`_svi.SviRunner`)
``_map``     MAP points from a family's own optimiser, as MAP-guided SVI results
``_idata``   :class:`FitResult` and the one ``InferenceData`` builder
``_common``  the up-front checks and the progress line
"""
