package stackgen

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// jsonValue converts an evaluated input into a value for Terraform's JSON
// syntax. Strings there are templates, so "${" and "%{" are escaped and
// reach the module exactly as written in rollout.hcl.
func jsonValue(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsKnown() {
		return nil, fmt.Errorf("value is not known at synthesis time")
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return escapeTemplate(v.AsString()), nil
	case t == cty.Number:
		return json.Number(v.AsBigFloat().Text('f', -1)), nil
	case t == cty.Bool:
		return v.True(), nil
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, elem := it.Element()
			item, err := jsonValue(elem)
			if err != nil {
				return nil, err
			}
			out = append(out, item)
		}
		return out, nil
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			key, elem := it.Element()
			item, err := jsonValue(elem)
			if err != nil {
				return nil, err
			}
			out[key.AsString()] = item
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value of type %s", t.FriendlyName())
}

var templateEscaper = strings.NewReplacer("${", "$${", "%{", "%%{")

func escapeTemplate(s string) string { return templateEscaper.Replace(s) }
